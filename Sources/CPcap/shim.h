// libpcap for Swift: the system library target `CPcap` (libpcap-dev on Debian).
#ifndef CPCAP_SHIM_H
#define CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
