#define _GNU_SOURCE 1
#include <fcntl.h>
#include <sys/socket.h>
#include "CLinuxNet.h"

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
int cln_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
