#define _GNU_SOURCE 1
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <time.h>
#include "CLinuxNet.h"

int cln_epoll_wait(int epfd, struct epoll_event *scratch, int max, int64_t timeout_ns, int precise,
                   uint64_t *tokens, uint32_t *events) {
    static int no_pwait2 = 0;
    int n;
    int pwait2 = precise && timeout_ns > 0 && !no_pwait2;
    if (pwait2) {
        struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
        n = epoll_pwait2(epfd, scratch, max, &ts, NULL);
        if (n < 0 && (errno == ENOSYS || errno == EPERM)) no_pwait2 = 1;  /* EPERM: seccomp filters */
    }
    if (!pwait2 || no_pwait2) {
        int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
        n = epoll_wait(epfd, scratch, max, ms);
    }
    for (int i = 0; i < n; i++) {
        tokens[i] = scratch[i].data.u64;
        events[i] = scratch[i].events;
    }
    return n;
}

int cln_accept4(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

ssize_t cln_splice(int fd_in, int fd_out, size_t len, unsigned int flags) {
    return splice(fd_in, NULL, fd_out, NULL, len, flags);
}

int cln_pipe2(int fds[2]) { return pipe2(fds, O_NONBLOCK | O_CLOEXEC); }

const unsigned int cln_SPLICE_F_MOVE = SPLICE_F_MOVE;
const unsigned int cln_SPLICE_F_NONBLOCK = SPLICE_F_NONBLOCK;

#include <pthread.h>
#include <unistd.h>
int cln_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }

/* close_range(2) (Linux 5.9); a plain loop where it is missing. */
static void close_descriptors(unsigned int first, unsigned int last) {
    if (close_range(first, last, 0) == 0) return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd <= (long)last && fd < max; fd++) close((int)fd);
}

int cln_isolate_descriptor_table(const int *keep, int count) {
    if (unshare(CLONE_FILES) != 0) return -1;
    unsigned int first = 0;  /* the lowest descriptor not yet kept or closed */
    for (int i = 0; i < count; i++) {
        if ((unsigned int)keep[i] > first) close_descriptors(first, (unsigned int)keep[i] - 1);
        first = (unsigned int)keep[i] + 1;
    }
    close_descriptors(first, ~0U);
    return 0;
}

// MARK: - VRRP and VIP plumbing

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

int cln_if_index(int fd, const char *name) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    if (strlen(name) >= IFNAMSIZ) { errno = ENODEV; return -1; }
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFINDEX, &request) != 0) return -1;
    return request.ifr_ifindex;
}

int cln_if_hardware_address(int fd, const char *name, uint8_t *out, int capacity, uint16_t *hardware_type) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    if (strlen(name) >= IFNAMSIZ) { errno = ENODEV; return -1; }
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &request) != 0) return -1;
    // The kernel does not say how long the address is; 6 bytes for every type VRRP runs on
    // (Ethernet, veth, bridges, bonds, VLANs).
    int length = capacity < 6 ? capacity : 6;
    memcpy(out, request.ifr_hwaddr.sa_data, (size_t)length);
    *hardware_type = request.ifr_hwaddr.sa_family;
    return length;
}

struct cmsghdr *cln_cmsg_firsthdr(struct msghdr *message) { return CMSG_FIRSTHDR(message); }
struct cmsghdr *cln_cmsg_nxthdr(struct msghdr *message, struct cmsghdr *current) { return CMSG_NXTHDR(message, current); }
unsigned char *cln_cmsg_data(struct cmsghdr *cmsg) { return CMSG_DATA(cmsg); }
size_t cln_cmsg_space(size_t payload) { return CMSG_SPACE(payload); }
size_t cln_cmsg_len(size_t payload) { return CMSG_LEN(payload); }

size_t cln_pktinfo_space(void) { return CMSG_SPACE(sizeof(struct in_pktinfo)); }

int cln_cmsg_read_pktinfo(const struct cmsghdr *cmsg, int *interface_index, uint32_t *local_address_be,
                          uint32_t *header_destination_be) {
    if (cmsg->cmsg_level != IPPROTO_IP || cmsg->cmsg_type != IP_PKTINFO) return 0;
    if (cmsg->cmsg_len < CMSG_LEN(sizeof(struct in_pktinfo))) return 0;
    struct in_pktinfo info;
    memcpy(&info, CMSG_DATA((struct cmsghdr *)cmsg), sizeof info);  // CMSG_DATA need not be aligned for the struct
    *interface_index = info.ipi_ifindex;
    *local_address_be = info.ipi_spec_dst.s_addr;
    *header_destination_be = info.ipi_addr.s_addr;
    return 1;
}

size_t cln_cmsg_write_pktinfo(void *control, int interface_index, uint32_t source_be) {
    memset(control, 0, CMSG_SPACE(sizeof(struct in_pktinfo)));
    struct cmsghdr *cmsg = (struct cmsghdr *)control;
    cmsg->cmsg_level = IPPROTO_IP;
    cmsg->cmsg_type = IP_PKTINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo info;
    memset(&info, 0, sizeof info);
    info.ipi_ifindex = interface_index;
    info.ipi_spec_dst.s_addr = source_be;
    memcpy(CMSG_DATA(cmsg), &info, sizeof info);
    return CMSG_SPACE(sizeof(struct in_pktinfo));
}

int cln_setns_network(int fd) { return setns(fd, CLONE_NEWNET); }
