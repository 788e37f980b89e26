// Linux syscalls, constants and macros that Swift's Glibc module does not expose
// (or exposes as macros Swift cannot import). Everything here is a thin pass-through.
#ifndef CLINUXNET_H
#define CLINUXNET_H

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

// epoll event bits as plain integers (glibc declares them in an enum Swift imports awkwardly).
static const uint32_t cln_EPOLLIN = EPOLLIN;
static const uint32_t cln_EPOLLOUT = EPOLLOUT;
static const uint32_t cln_EPOLLERR = EPOLLERR;
static const uint32_t cln_EPOLLHUP = EPOLLHUP;
static const uint32_t cln_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t cln_EPOLLET = EPOLLET;

static inline int cln_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline int cln_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &ev);
}

/// Waits for events, for at most `timeout_ns` nanoseconds (-1: forever), and copies them into two
/// flat arrays, so Swift never touches the packed `struct epoll_event`. `precise` loops use
/// epoll_pwait2 for a nanosecond timeout (VRRP timers must not be rounded to whole milliseconds),
/// falling back to epoll_wait on kernels before 5.11 or under seccomp; the others use epoll_wait,
/// rounding up to a millisecond: half the kernel time of epoll_pwait2's timespec and sigmask path.
int cln_epoll_wait(int epfd, struct epoll_event *scratch, int max, int64_t timeout_ns, int precise,
                   uint64_t *tokens, uint32_t *events);

static inline size_t cln_epoll_event_size(void) { return sizeof(struct epoll_event); }

static inline int cln_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

static inline int cln_tcp_socket(int family) {
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static inline int cln_signalfd(const sigset_t *mask) {
    return signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

static inline uint64_t cln_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int cln_errno(void) { return errno; }
/* Socket reads and writes for the relay: recv/send take the short sendto/recvfrom path instead of
 * read/write's VFS layer (rw_verify_area, fdget_pos, ...), ~3% of the proxy's CPU per request, and
 * MSG_NOSIGNAL turns a write to a reset peer into EPIPE rather than SIGPIPE. */
static inline ssize_t cln_recv(int fd, void *buffer, size_t length) {
    return recv(fd, buffer, length, MSG_DONTWAIT);
}
static inline ssize_t cln_send(int fd, const void *buffer, size_t length) {
    return send(fd, buffer, length, MSG_DONTWAIT | MSG_NOSIGNAL);
}



// Defined in CLinuxNet.c, which is compiled with _GNU_SOURCE (defining it here would make the
// system headers differ from Swift's Glibc module).
int cln_accept4(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t cln_splice(int fd_in, int fd_out, size_t len, unsigned int flags);
int cln_pipe2(int fds[2]);
int cln_set_thread_name(const char *name);

/// Gives the calling thread its own copy of the descriptor table (unshare CLONE_FILES) and closes
/// every descriptor in that copy except `keep` (ascending). The kernel skips per-syscall file
/// reference counting for a table only one thread uses. Returns 0, or -1 with errno.
int cln_isolate_descriptor_table(const int *keep, int count);
extern const unsigned int cln_SPLICE_F_MOVE;
extern const unsigned int cln_SPLICE_F_NONBLOCK;

// sigset helpers: sigemptyset/sigaddset are macros on some libcs.
static inline void cln_sigset_init(sigset_t *set) { sigemptyset(set); }
static inline void cln_sigset_add(sigset_t *set, int sig) { sigaddset(set, sig); }

// MARK: - VRRP and VIP plumbing: raw IP, AF_PACKET and rtnetlink sockets

/// A raw socket (IPv4 protocol `protocol`, or AF_PACKET), non-blocking and close-on-exec.
static inline int cln_raw_socket(int family, int protocol) {
    return socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}

/// An AF_PACKET datagram socket: the kernel builds the link-layer header from a `sockaddr_ll`.
/// `protocol_be` is an ETH_P_* value in network byte order (0 = receive nothing).
static inline int cln_packet_dgram_socket(uint16_t protocol_be) {
    return socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol_be);
}

/// A NETLINK_* socket. Blocking on purpose: the kernel answers rtnetlink requests before
/// sendmsg returns, so a blocking read never waits on anything but the kernel.
static inline int cln_netlink_socket(int protocol) {
    return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
}

// Interface lookups by ioctl on an existing socket. The kernel resolves the name in the
// socket's network namespace (not the calling thread's), so a socket opened inside a
// namespace keeps answering for that namespace from any thread.

/// SIOCGIFINDEX: the interface index, or -1 with errno set.
int cln_if_index(int fd, const char *name);
/// SIOCGIFHWADDR: copies up to `capacity` bytes of the hardware address into `out`, sets
/// `*hardware_type` (ARPHRD_*), and returns how many bytes are meaningful, or -1 with errno set.
int cln_if_hardware_address(int fd, const char *name, uint8_t *out, int capacity, uint16_t *hardware_type);

// Ancillary data (CMSG_* are macros Swift cannot import).
struct cmsghdr *cln_cmsg_firsthdr(struct msghdr *message);
struct cmsghdr *cln_cmsg_nxthdr(struct msghdr *message, struct cmsghdr *current);
unsigned char *cln_cmsg_data(struct cmsghdr *cmsg);
size_t cln_cmsg_space(size_t payload);
size_t cln_cmsg_len(size_t payload);

/// Bytes of control buffer a single IP_PKTINFO message needs.
size_t cln_pktinfo_space(void);
/// Reads an IP_PKTINFO message: returns 1 and fills the fields (addresses in network byte
/// order) when `cmsg` is one, 0 otherwise. `header_destination` is the IP header's destination.
int cln_cmsg_read_pktinfo(const struct cmsghdr *cmsg, int *interface_index, uint32_t *local_address_be,
                          uint32_t *header_destination_be);
/// Writes one IP_PKTINFO message into `control` (at least cln_pktinfo_space() bytes, suitably
/// aligned): the outgoing interface and the source address (network byte order; 0 = let the
/// kernel choose). Returns the msg_controllen to use.
size_t cln_cmsg_write_pktinfo(void *control, int interface_index, uint32_t source_be);

/// setns(fd, CLONE_NEWNET): moves the calling *thread* into the network namespace `fd` refers to.
int cln_setns_network(int fd);

// Gives free heap memory back to the system (glibc); 1 when some was released.
static inline int cln_malloc_trim(void) { return malloc_trim(0); }

#endif
