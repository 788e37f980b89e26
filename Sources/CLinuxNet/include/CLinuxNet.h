// Linux syscalls, constants and macros that Swift's Glibc module does not expose
// (or exposes as macros Swift cannot import). Everything here is a thin pass-through.
#ifndef CLINUXNET_H
#define CLINUXNET_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
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

/// Waits for events and copies them into two flat arrays, so Swift never touches the
/// packed `struct epoll_event`.
static inline int cln_epoll_wait(int epfd, struct epoll_event *scratch, int max, int timeout_ms,
                                 uint64_t *tokens, uint32_t *events) {
    int n = epoll_wait(epfd, scratch, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = scratch[i].data.u64;
        events[i] = scratch[i].events;
    }
    return n;
}

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


// Defined in CLinuxNet.c, which is compiled with _GNU_SOURCE (defining it here would make the
// system headers differ from Swift's Glibc module).
int cln_accept4(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t cln_splice(int fd_in, int fd_out, size_t len, unsigned int flags);
int cln_pipe2(int fds[2]);
int cln_set_thread_name(const char *name);
extern const unsigned int cln_SPLICE_F_MOVE;
extern const unsigned int cln_SPLICE_F_NONBLOCK;

// sigset helpers: sigemptyset/sigaddset are macros on some libcs.
static inline void cln_sigset_init(sigset_t *set) { sigemptyset(set); }
static inline void cln_sigset_add(sigset_t *set, int sig) { sigaddset(set, sig); }

#endif
