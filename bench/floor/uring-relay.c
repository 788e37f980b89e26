/* uring-relay: minimal single-threaded TCP relay on io_uring, 127.0.0.1:LISTEN -> 127.0.0.1:BACKEND.
 * A CPU-per-request floor for user-space proxies, not a product (see README.md).
 *
 * One ring, one io_uring_submit_and_wait per loop. Multishot accept; per direction one
 * multishot recv into a shared provided-buffer ring, and the received buffers are sent in
 * order, one send in flight per direction (partial sends resubmit the rest). A buffer goes
 * back to the ring when its bytes are all sent. Backpressure: when QCAP buffers wait on a
 * direction, its recv is cancelled, and re-armed only once everything queued has been sent. */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ (64 * 1024)   /* like epoll-relay's scratch buffer; loopback segments are ~64 KiB */
#define NBUFS 512           /* shared by all connections; power of two */
#define BGID 0
#define QCAP 4              /* buffers queued on a direction before its recv is paused */

/* user_data = pointer | op; 0 = nothing to do (close, cancel) */
enum { OP_ACCEPT = 1, OP_CONNECT, OP_RECV, OP_SEND, OP_SHUT };

struct conn;
struct dir {                 /* src -> dst */
    struct conn *c;
    int src, dst;
    int head, tail, queued;  /* FIFO of buffer ids (linked by bnext); head is being sent */
    unsigned off;            /* bytes of head already sent */
    bool armed;              /* multishot recv live (its final CQE not seen yet) */
    bool cancelling, eof, shut, starved;
    struct dir *next_starved;
};
struct conn {
    struct dir up, down;     /* client->server, server->client */
    int cfd, sfd;
    int inflight;            /* requests whose final CQE is still to come */
    bool failed;
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static int blen[NBUFS], bnext[NBUFS];
static struct dir *starved;  /* recvs that ended with ENOBUFS, re-armed when buffers return */
static bool returned;
static int lfd;
static struct sockaddr_in backend;

static void die(const char *what, int err) { fprintf(stderr, "%s: %s\n", what, strerror(err)); exit(1); }

static struct io_uring_sqe *sqe(void *p, int op)
{
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);
    if (!s) {                /* SQ full: hand what we have to the kernel, no wait */
        io_uring_submit(&ring);
        if (!(s = io_uring_get_sqe(&ring))) die("io_uring_get_sqe", EBUSY);
    }
    s->user_data = (uint64_t)(uintptr_t)p | op;  /* io_uring_prep_* leave user_data alone */
    return s;
}

static void arm_accept(void)
{
    io_uring_prep_multishot_accept(sqe(NULL, OP_ACCEPT), lfd, NULL, NULL, SOCK_CLOEXEC);
}

static void arm_recv(struct dir *d)
{
    struct io_uring_sqe *s = sqe(d, OP_RECV);
    io_uring_prep_recv_multishot(s, d->src, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    d->armed = true;
    d->c->inflight++;
}

static void send_head(struct dir *d)
{
    io_uring_prep_send(sqe(d, OP_SEND), d->dst, bufs + (size_t)d->head * BUFSZ + d->off,
                       blen[d->head] - d->off, MSG_NOSIGNAL);
    d->c->inflight++;
}

static void shut(struct dir *d)
{
    io_uring_prep_shutdown(sqe(d, OP_SHUT), d->dst, SHUT_WR);
    d->c->inflight++;
}

static void give_back(int bid)
{
    io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, bid, io_uring_buf_ring_mask(NBUFS), 0);
    io_uring_buf_ring_advance(br, 1);
    returned = true;
}

static void fail(struct conn *c)
{
    if (c->failed) return;
    c->failed = true;
    if (!c->inflight) return;
    /* Pending recvs/sends hold their own file references: closing the fds would not end them. */
    io_uring_prep_cancel_fd(sqe(NULL, 0), c->cfd, IORING_ASYNC_CANCEL_ALL);
    io_uring_prep_cancel_fd(sqe(NULL, 0), c->sfd, IORING_ASYNC_CANCEL_ALL);
}

/* Free c once nothing refers to it any more and it is finished or failed. */
static void settle(struct conn *c)
{
    if (c->inflight || !(c->failed || (c->up.shut && c->down.shut))) return;
    struct dir *ds[2] = { &c->up, &c->down };
    for (int i = 0; i < 2; i++) {
        struct dir *d = ds[i];
        for (; d->queued; d->queued--, d->head = bnext[d->head]) give_back(d->head);
        if (d->starved)
            for (struct dir **p = &starved; *p; p = &(*p)->next_starved)
                if (*p == d) { *p = d->next_starved; break; }
    }
    io_uring_prep_close(sqe(NULL, 0), c->cfd);
    io_uring_prep_close(sqe(NULL, 0), c->sfd);
    free(c);
}

static void on_accept(int cfd)
{
    /* The client socket inherits TCP_NODELAY from the listener; the backend socket is set
     * here. socket()/setsockopt() are plain syscalls: once per connection, not per request. */
    int sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct conn *c = calloc(1, sizeof *c);
    if (sfd < 0 || !c || setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
        perror("backend socket");
        close(cfd);
        if (sfd >= 0) close(sfd);
        free(c);
        return;
    }
    c->cfd = cfd;
    c->sfd = sfd;
    c->up = (struct dir){ .c = c, .src = cfd, .dst = sfd };
    c->down = (struct dir){ .c = c, .src = sfd, .dst = cfd };
    io_uring_prep_connect(sqe(c, OP_CONNECT), sfd, (struct sockaddr *)&backend, sizeof backend);
    c->inflight++;
}

static void on_recv(struct dir *d, int res, unsigned flags)
{
    struct conn *c = d->c;
    int bid = (flags & IORING_CQE_F_BUFFER) ? (int)(flags >> IORING_CQE_BUFFER_SHIFT) : -1;
    if (!(flags & IORING_CQE_F_MORE)) {
        d->armed = d->cancelling = false;
        c->inflight--;
    }
    if (res > 0 && !c->failed) {
        blen[bid] = res;
        if (d->queued++) bnext[d->tail] = bid;
        else d->head = bid, d->off = 0;
        d->tail = bid;
        if (d->queued == 1) send_head(d);
        else if (d->queued >= QCAP && d->armed && !d->cancelling) {
            io_uring_prep_cancel64(sqe(NULL, 0), (uint64_t)(uintptr_t)d | OP_RECV, 0);
            d->cancelling = true;
        }
    } else if (bid >= 0) {
        give_back(bid);
    }
    if (res == 0) {
        d->eof = true;
        if (!d->queued && !c->failed) shut(d);
    } else if (res < 0 && res != -ECANCELED && res != -ENOBUFS) {
        fail(c);
    }
    if (!d->armed && !d->eof && !c->failed && !d->queued) {
        if (res != -ENOBUFS) arm_recv(d);  /* stopped by itself, or the cancel landed after the drain */
        else if (!d->starved) d->starved = true, d->next_starved = starved, starved = d;
    }                                      /* with bytes queued, the drain in on_send re-arms */
    settle(c);
}

static void on_send(struct dir *d, int res)
{
    struct conn *c = d->c;
    c->inflight--;
    if (res <= 0 || c->failed) {
        fail(c);
    } else if ((d->off += res) < (unsigned)blen[d->head]) {
        send_head(d);        /* partial send: the rest */
    } else {
        int bid = d->head;
        d->head = bnext[bid];
        d->off = 0;
        give_back(bid);
        if (--d->queued) send_head(d);
        else if (d->eof) shut(d);  /* everything before the FIN is out: pass it on */
        else if (!d->armed) arm_recv(d);
    }
    settle(c);
}

static void on_cqe(struct io_uring_cqe *cqe)
{
    int op = cqe->user_data & 7, res = cqe->res;
    void *p = (void *)(uintptr_t)(cqe->user_data & ~(uint64_t)7);
    struct conn *c = p;
    struct dir *d = p;
    switch (op) {
    case OP_ACCEPT:
        if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept();
        if (res >= 0) on_accept(res);
        else if (res == -EINVAL) die("multishot accept", -res);
        else fprintf(stderr, "accept: %s\n", strerror(-res));
        break;
    case OP_CONNECT:         /* only now read the client: what it sent so far waits in its socket */
        c->inflight--;
        if (res < 0) fail(c);
        else if (!c->failed) arm_recv(&c->up), arm_recv(&c->down);
        settle(c);
        break;
    case OP_RECV: on_recv(d, res, cqe->flags); break;
    case OP_SEND: on_send(d, res); break;
    case OP_SHUT:
        d->c->inflight--;
        if (res < 0) fail(d->c);
        else d->shut = true;
        settle(d->c);
        break;
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
    signal(SIGPIPE, SIG_IGN);

    int one = 1;
    if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) die("socket", errno);
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt", errno);
    if (bind(lfd, (struct sockaddr *)&la, sizeof la) < 0) die("bind", errno);
    if (listen(lfd, 4096) < 0) die("listen", errno);

    /* Task work only when we wait (DEFER_TASKRUN), else at least no IPIs (COOP_TASKRUN).
     * No SQPOLL: its kernel thread's CPU would not be charged to this process. */
    static const struct { unsigned flags; const char *name; } modes[] = {
        { IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER|DEFER_TASKRUN" },
        { IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN, "SINGLE_ISSUER|COOP_TASKRUN" },
        { IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN" },
        { 0, "no setup flags" },
    };
    int r = -EINVAL;
    unsigned m;
    for (m = 0; m < sizeof modes / sizeof modes[0] && r == -EINVAL; m++) {
        struct io_uring_params p = { .flags = modes[m].flags | IORING_SETUP_CQSIZE, .cq_entries = 8192 };
        r = io_uring_queue_init_params(256, &ring, &p);
    }
    if (r < 0) die("io_uring_queue_init_params", -r);
    bool regfd = io_uring_register_ring_fd(&ring) == 1;  /* io_uring_enter without fd lookup */
    fprintf(stderr, "uring-relay: %s, registered ring fd: %s\n", modes[m - 1].name, regfd ? "yes" : "no");

    size_t ringsz = NBUFS * sizeof(struct io_uring_buf);
    br = mmap(NULL, ringsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bufs = mmap(NULL, (size_t)NBUFS * BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (br == MAP_FAILED || bufs == MAP_FAILED) die("mmap", errno);
    struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)br, .ring_entries = NBUFS, .bgid = BGID };
    if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) die("io_uring_register_buf_ring", -r);
    io_uring_buf_ring_init(br);
    for (int i = 0; i < NBUFS; i++)
        io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, i, io_uring_buf_ring_mask(NBUFS), i);
    io_uring_buf_ring_advance(br, NBUFS);

    arm_accept();
    for (;;) {
        r = io_uring_submit_and_wait(&ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) die("io_uring_submit_and_wait", -r);
        unsigned head, n = 0;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&ring, head, cqe) {
            on_cqe(cqe);
            n++;
        }
        io_uring_cq_advance(&ring, n);
        if (returned) {      /* buffers came back: retry recvs that found the ring empty */
            struct dir *d = starved;
            starved = NULL;
            for (; d; d = d->next_starved) {
                d->starved = false;
                if (!d->armed && !d->eof && !d->queued && !d->c->failed) arm_recv(d);
            }
            returned = false;
        }
    }
}
