/* epoll-relay: minimal single-threaded TCP relay, 127.0.0.1:LISTEN -> 127.0.0.1:BACKEND.
 * A CPU-per-request floor for user-space proxies, not a product (see README.md).
 *
 * Edge-triggered epoll; per socket we remember "may have data" (rd) and "has room" (wr)
 * and only make a syscall when it can make progress. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ (64 * 1024)

struct conn;
struct end {                 /* one socket of a connection */
    struct conn *c;
    int fd;
    bool rd;                 /* data or EOF may be waiting (edge seen, not drained) */
    bool wr;                 /* send buffer has room */
    bool hup;                /* RDHUP/HUP/ERR seen: read to EOF, no short-read shortcut */
};
struct dir {                 /* one direction: src -> dst */
    struct end *src, *dst;
    char *pend;              /* bytes accepted from src, not yet taken by dst */
    size_t off, len;
    bool eof, shut;          /* src sent FIN; we shut down dst for writing */
};
struct conn {
    struct end cli, srv;
    struct dir up, down;     /* client->server, server->client */
    bool connected, dead;
    struct conn *next_dead;
};

static char scratch[BUFSZ];
static int ep;
static struct sockaddr_in backend;
static struct conn *dead_list;  /* freed after the current batch of events */

static void die(const char *what) { perror(what); exit(1); }

static void kill_conn(struct conn *c)
{
    if (c->dead) return;
    c->dead = true;
    close(c->cli.fd);        /* close() also removes the fds from the epoll set */
    close(c->srv.fd);
    c->next_dead = dead_list;  /* events for c may still be in this batch */
    dead_list = c;
}

/* Move bytes src -> dst until blocked. Returns false on a fatal error. */
static bool pump(struct dir *d)
{
    if (d->len) {            /* flush what the sink refused last time first */
        if (!d->dst->wr) return true;
        ssize_t n = send(d->dst->fd, d->pend + d->off, d->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN) return false;
            n = 0;
        }
        d->off += n;
        d->len -= n;
        if (d->len) { d->dst->wr = false; return true; }  /* EPOLLOUT edge will follow */
    }
    while (!d->eof && d->src->rd) {
        ssize_t n = recv(d->src->fd, scratch, BUFSZ, MSG_DONTWAIT);
        if (n == 0) { d->eof = true; d->src->rd = false; break; }
        if (n < 0) {
            if (errno != EAGAIN) return false;
            d->src->rd = false;
            break;
        }
        /* A short read from a TCP socket means its receive queue was empty at that
         * moment, so new data will raise a new edge: skip the recv that would return
         * EAGAIN. Not after RDHUP: a FIN that came with this edge raises no new one. */
        if (n < BUFSZ && !d->src->hup) d->src->rd = false;
        ssize_t s = send(d->dst->fd, scratch, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (s < 0) {
            if (errno != EAGAIN) return false;
            s = 0;
        }
        if (s < n) {         /* keep the rest and stop reading src: backpressure */
            if (!d->pend && !(d->pend = malloc(BUFSZ))) return false;
            memcpy(d->pend, scratch + s, n - s);
            d->off = 0;
            d->len = n - s;
            d->dst->wr = false;
            return true;
        }
    }
    if (d->eof && !d->shut) {  /* all of src's bytes are in dst: pass the FIN on */
        if (shutdown(d->dst->fd, SHUT_WR) < 0) return false;
        d->shut = true;
    }
    return true;
}

static void on_event(struct end *e, uint32_t ev)
{
    struct conn *c = e->c;
    if (c->dead) return;
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) e->hup = true;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) e->rd = true;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) e->wr = true;
    if (!c->connected) {
        if (e != &c->srv || !(ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))) return;  /* client data waits */
        /* First writability of the backend socket: the connect finished. */
        if (ev & (EPOLLHUP | EPOLLERR)) { kill_conn(c); return; }
        c->connected = true;
    }
    if (!pump(&c->up) || !pump(&c->down)) { kill_conn(c); return; }
    if (c->up.shut && c->down.shut) kill_conn(c);
}

static void add(int fd, void *ptr, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = ptr };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void on_accept(int lfd)
{
    for (;;) {
        int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) perror("accept4");
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;
        }
        /* TCP_NODELAY: the accepted socket inherits it from the listener. */
        int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct conn *c = calloc(1, sizeof *c);
        int one = 1;
        if (sfd < 0 || !c || setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
            (connect(sfd, (struct sockaddr *)&backend, sizeof backend) < 0 && errno != EINPROGRESS)) {
            perror("backend");
            close(cfd);
            if (sfd >= 0) close(sfd);
            free(c);
            continue;
        }
        c->cli = (struct end){ .c = c, .fd = cfd };
        c->srv = (struct end){ .c = c, .fd = sfd };
        c->up = (struct dir){ .src = &c->cli, .dst = &c->srv };
        c->down = (struct dir){ .src = &c->srv, .dst = &c->cli };
        uint32_t ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        add(cfd, &c->cli, ev);
        add(sfd, &c->srv, ev);
    }
}

static int port_arg(const char *s)
{
    char *end;
    long p = strtol(s, &end, 10);
    if (*end || p < 1 || p > 65535) { fprintf(stderr, "bad port: %s\n", s); exit(2); }
    return (int)p;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s LISTEN_PORT BACKEND_PORT\n", argv[0]); return 2; }
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons(port_arg(argv[1])),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    backend = la;
    backend.sin_port = htons(port_arg(argv[2]));

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (lfd < 0) die("socket");
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt");
    if (bind(lfd, (struct sockaddr *)&la, sizeof la) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
    add(lfd, NULL, EPOLLIN | EPOLLET);

    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr) on_accept(lfd);
            else on_event(evs[i].data.ptr, evs[i].events);
        }
        while (dead_list) {
            struct conn *c = dead_list;
            dead_list = c->next_dead;
            free(c->up.pend);
            free(c->down.pend);
            free(c);
        }
    }
}
