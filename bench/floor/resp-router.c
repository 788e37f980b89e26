/* resp-router: the floor for Ferry's cluster mode. A minimal single-threaded Redis Cluster
 * proxy, 127.0.0.1:LISTEN -> the masters of the cluster that 127.0.0.1:SEED belongs to.
 * A CPU-per-request floor, not a product (see README.md, "resp-router").
 *
 * What it does, and nothing more:
 * - at start, reads the slot map once from the seed (CLUSTER SLOTS) and opens ONE connection
 *   per master; no refresh, no MOVED/ASK handling (a redirection reaches the client as is);
 * - parses canonical RESP2 multibulk requests (`*N\r\n$len\r\n...`; an inline request gets an
 *   error and the connection is closed), routes each by the CRC16/XMODEM slot of argument 1
 *   (with {hash tags}); commands without a key (PING, CONFIG, INFO, ...) go to the first master;
 *   QUIT is answered here (a QUIT on a shared link would close it for everyone);
 * - appends every request to its master's link (shared by all clients) and queues
 *   (client, sequence) on that link; replies are matched in FIFO order, and each client gets its
 *   replies in request order (a reply that arrives before an earlier one of the same client, from
 *   another master, is parked until its turn);
 * - edge-triggered epoll, every socket registered once (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET) and
 *   never modified; one epoll_wait per batch of events; each link and each client written at
 *   most once per batch (after every event of the batch has been read); a recv shorter than the
 *   buffer ends the reading of that socket (the recv that would return EAGAIN is skipped).
 *
 * Optional, and not part of the floor: a third argument COALESCE_US makes the loop sleep that long
 * (nanosleep, timer slack 1 ns) after each wake-up and collect what arrived meanwhile (epoll_wait
 * with timeout 0) before it reads and writes anything: fewer wake-ups and larger link writes per
 * request, for up to COALESCE_US more latency per request. An experiment for issue 16.
 *
 * Limits (backpressure): a client with MAX_INFLIGHT requests without a reply, or MAX_OUT bytes of
 * replies unsent, is not read until half of that is gone; a request larger than MAX_REQ gets an
 * error and the client is closed. Link buffers are not bounded by themselves: at most
 * clients x (MAX_INFLIGHT requests or MAX_REQ bytes) can be queued. A master link that fails ends
 * the process. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SCRATCH_SZ (64 * 1024)       /* a client's reads land here first */
#define LINK_BUF (64 * 1024)         /* initial size of a link's input buffer */
#define CLIENT_OUT (4 * 1024)        /* initial size of a client's output buffer */
#define MAX_INFLIGHT 1024            /* per client; a power of two (the parking ring) */
#define MAX_OUT (4u << 20)           /* unsent reply bytes per client before it is not read */
#define MAX_REQ (64u << 20)          /* largest request */
#define SHRINK_AT (1u << 20)         /* an emptied buffer bigger than this is freed */
#define MAX_MASTERS 255
#define NSLOTS 16384
#define NO_MASTER 0xff
#define MAX_EVENTS 512

enum kind { K_CLIENT = 1, K_LINK = 2 };

struct ibuf { char *p; size_t len, cap, need; };   /* need: don't parse again before len >= need */
struct obuf { char *p; size_t off, len, cap; };    /* bytes p[off..len) are waiting */

struct parked { char *p; size_t len; };            /* a reply that came before its turn */

struct client {
    enum kind kind;
    int fd;
    bool rd, wr, hup;           /* may have data; has room; RDHUP/HUP/ERR seen */
    bool dead, closing, blocked, dirty, resume_q;
    struct ibuf in;             /* an incomplete request (and, when blocked, what follows it) */
    struct obuf out;
    uint32_t next_seq, next_out, inflight;
    struct parked *park;        /* MAX_INFLIGHT slots, allocated on first use */
    struct client *next_dirty, *next_resume, *next_free;
};

struct pending { struct client *c; uint32_t seq; };

struct link {
    enum kind kind;
    int fd, port;
    bool rd, wr, hup, dirty;
    struct ibuf in;
    struct obuf out;
    struct pending *q;          /* FIFO ring of the requests written or queued on this link */
    size_t qhead, qlen, qcap;
    struct link *next_dirty;
};

static int ep;
static long coalesce_ns;        /* 0: off (the floor) */
static char scratch[SCRATCH_SZ];
static struct link links[MAX_MASTERS];
static int nlinks;
static uint8_t slot_owner[NSLOTS];
static struct link *dirty_links;
static struct client *dirty_clients, *resume_list, *free_list;
static uint16_t crc16tab[256];

static void die(const char *what) { perror(what); exit(1); }
static void fatal(const char *msg, int port) { fprintf(stderr, "resp-router: %s (master %d)\n", msg, port); exit(1); }

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) { fprintf(stderr, "resp-router: out of memory (%zu bytes)\n", n); exit(1); }
    return q;
}

/* --- slots ------------------------------------------------------------------------------ */

static void crc16_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint16_t c = (uint16_t)(i << 8);
        for (int j = 0; j < 8; j++) c = (c & 0x8000) ? (uint16_t)((c << 1) ^ 0x1021) : (uint16_t)(c << 1);
        crc16tab[i] = c;
    }
}

static unsigned key_slot(const char *k, size_t n)
{
    const char *open = memchr(k, '{', n);          /* {hash tag}: the first '{' and the next '}' */
    if (open) {
        const char *close = memchr(open + 1, '}', n - (size_t)(open + 1 - k));
        if (close && close > open + 1) { k = open + 1; n = (size_t)(close - k); }
    }
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) crc = (uint16_t)((crc << 8) ^ crc16tab[((crc >> 8) ^ (uint8_t)k[i]) & 0xff]);
    return crc & (NSLOTS - 1);
}

/* Commands whose argument 1 is not a key (or that have no key): sent to the first master. */
static bool keyless(const char *s, size_t n)
{
    static const char *const names[] = {
        "PING", "ECHO", "INFO", "TIME", "AUTH", "SCAN", "KEYS", "WAIT", "CONFIG", "DBSIZE", "CLIENT", "SELECT",
        "SCRIPT", "MEMORY", "COMMAND", "CLUSTER", "FLUSHDB", "SLOWLOG", "LATENCY", "PUBLISH", "FLUSHALL",
        "FUNCTION", "LASTSAVE", "RANDOMKEY", "HELLO", NULL };
    if (n < 4 || n > 9) return false;              /* GET, SET and every other 3-letter command: keyed */
    for (const char *const *p = names; *p; p++)
        if (strlen(*p) == n && strncasecmp(*p, s, n) == 0) return true;
    return false;
}

/* --- buffers ---------------------------------------------------------------------------- */

static void obuf_append(struct obuf *b, const char *d, size_t n)
{
    if (b->len + n > b->cap) {
        if (b->off) {                               /* slide the unsent bytes to the front */
            memmove(b->p, b->p + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap * 2 : CLIENT_OUT;
            while (cap < b->len + n) cap *= 2;
            b->p = xrealloc(b->p, cap);
            b->cap = cap;
        }
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void ibuf_reserve(struct ibuf *b, size_t want)
{
    if (want <= b->cap) return;
    size_t cap = b->cap ? b->cap : 16 * 1024;
    while (cap < want) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

/* Drops the first n bytes; frees a big buffer once it is empty. */
static void ibuf_consume(struct ibuf *b, size_t n)
{
    b->len -= n;
    if (b->len && n) memmove(b->p, b->p + n, b->len);
    if (!b->len && b->cap > SHRINK_AT) { free(b->p); b->p = NULL; b->cap = 0; }
}

/* --- RESP --------------------------------------------------------------------------------- */

/* The integer of the line d[pos..] (after its type byte). 1: done (*next = after \r\n),
 * 0: incomplete, -1: not a canonical integer line. */
static int int_line(const char *d, size_t n, size_t pos, long long *v, size_t *next)
{
    size_t i = pos;
    bool neg = false;
    long long x = 0;
    if (i < n && d[i] == '-') { neg = true; i++; }
    size_t digits = 0;
    for (; i < n && d[i] >= '0' && d[i] <= '9'; i++, digits++) {
        if (digits > 18) return -1;
        x = x * 10 + (d[i] - '0');
    }
    if (i >= n || i + 1 >= n) return (i - pos > 20) ? -1 : 0;
    if (d[i] != '\r' || d[i + 1] != '\n' || !digits) return -1;
    *v = neg ? -x : x;
    *next = i + 2;
    return 1;
}

struct req { const char *a0, *a1; size_t n0, n1; long long argc; };

/* One request at d[0..n). >0: its length; 0: incomplete (*need: total bytes needed, or 0 when
 * not known); -1: protocol error (*err: the reply). */
static long long parse_request(const char *d, size_t n, struct req *r, size_t *need, const char **err)
{
    long long v;
    size_t pos;
    *need = 0;
    if (d[0] != '*') { *err = "-ERR resp-router: only RESP multibulk requests are supported\r\n"; return -1; }
    int k = int_line(d, n, 1, &v, &pos);
    if (k <= 0) {
        if (k < 0 || n > 32) *err = "-ERR Protocol error: invalid multibulk length\r\n";
        return k < 0 || n > 32 ? -1 : 0;
    }
    if (v > 1024 * 1024) { *err = "-ERR Protocol error: invalid multibulk length\r\n"; return -1; }
    r->argc = v > 0 ? v : 0;
    for (long long i = 0; i < r->argc; i++) {
        if (pos >= n) return 0;
        if (d[pos] != '$') { *err = "-ERR Protocol error: expected '$'\r\n"; return -1; }
        size_t body;
        k = int_line(d, n, pos + 1, &v, &body);
        if (k == 0) {
            if (n - pos > 32) { *err = "-ERR Protocol error: invalid bulk length\r\n"; return -1; }
            return 0;
        }
        if (k < 0 || v < 0 || v > 512LL * 1024 * 1024) { *err = "-ERR Protocol error: invalid bulk length\r\n"; return -1; }
        size_t end = body + (size_t)v + 2;
        if (end > MAX_REQ) { *err = "-ERR resp-router: request larger than 64 MiB\r\n"; return -1; }
        if (end > n) { *need = end; return 0; }
        if (d[end - 2] != '\r' || d[end - 1] != '\n') { *err = "-ERR Protocol error: bulk not ended by CRLF\r\n"; return -1; }
        if (i == 0) { r->a0 = d + body; r->n0 = (size_t)v; }
        else if (i == 1) { r->a1 = d + body; r->n1 = (size_t)v; }
        pos = end;
    }
    return (long long)pos;
}

/* Length of the complete reply at d[0..n); 0: incomplete (*need as above); -1: not RESP2. */
static long long reply_len(const char *d, size_t n, size_t *need)
{
    size_t pos = 0;
    long long remaining = 1;
    *need = 0;
    while (remaining > 0) {
        if (pos >= n) return 0;
        char t = d[pos];
        remaining--;
        if (t == '$' || t == '*') {
            long long v;
            size_t next;
            int k = int_line(d, n, pos + 1, &v, &next);
            if (k <= 0) return k;
            if (t == '$' && v >= 0) {
                size_t end = next + (size_t)v + 2;
                if (end > n) { *need = end; return 0; }
                pos = end;
                continue;
            }
            if (t == '*' && v > 0) remaining += v;
            pos = next;
        } else if (t == '+' || t == '-' || t == ':') {
            const char *cr = memchr(d + pos, '\r', n - pos);
            if (!cr || (size_t)(cr - d) + 1 >= n) return 0;
            pos = (size_t)(cr - d) + 2;
        } else {
            return -1;
        }
    }
    return (long long)pos;
}

/* --- clients ------------------------------------------------------------------------------ */

static void mark_client(struct client *c)
{
    if (!c->dirty) { c->dirty = true; c->next_dirty = dirty_clients; dirty_clients = c; }
}

static void mark_link(struct link *l)
{
    if (!l->dirty) { l->dirty = true; l->next_dirty = dirty_links; dirty_links = l; }
}

static void kill_client(struct client *c)
{
    if (c->dead) return;
    c->dead = true;
    close(c->fd);                       /* also removes it from the epoll set */
    if (c->park) {
        for (int i = 0; i < MAX_INFLIGHT; i++)
            if (c->park[i].p) { free(c->park[i].p); c->inflight--; }   /* their links are done with them */
        free(c->park);
        c->park = NULL;
    }
    if (!c->inflight) { c->next_free = free_list; free_list = c; }
    /* else: freed when the last reply for it arrives (the links' queues point at it) */
}

/* The reply to request `seq` of c: appended now if it is c's next, else parked. */
static void deliver(struct client *c, uint32_t seq, const char *d, size_t n)
{
    if (c->dead) {
        if (--c->inflight == 0) { c->next_free = free_list; free_list = c; }
        return;
    }
    if (seq != c->next_out) {
        if (!c->park) c->park = calloc(MAX_INFLIGHT, sizeof *c->park);
        if (!c->park) { fprintf(stderr, "resp-router: out of memory\n"); exit(1); }
        struct parked *p = &c->park[seq & (MAX_INFLIGHT - 1)];
        p->p = xrealloc(NULL, n ? n : 1);
        memcpy(p->p, d, n);
        p->len = n;
        return;
    }
    obuf_append(&c->out, d, n);
    c->next_out++;
    c->inflight--;
    if (c->park) {
        struct parked *p;
        while ((p = &c->park[c->next_out & (MAX_INFLIGHT - 1)])->p) {
            obuf_append(&c->out, p->p, p->len);
            free(p->p);
            p->p = NULL;
            c->next_out++;
            c->inflight--;
        }
    }
    mark_client(c);
}

static void local_reply(struct client *c, const char *s)
{
    c->inflight++;
    deliver(c, c->next_seq++, s, strlen(s));
}

static void forward(struct client *c, struct link *l, const char *d, size_t n)
{
    obuf_append(&l->out, d, n);
    if (l->qlen == l->qcap) {                       /* grow the ring, keeping its order */
        size_t cap = l->qcap ? l->qcap * 2 : 1024;
        struct pending *q = xrealloc(NULL, cap * sizeof *q);
        for (size_t i = 0; i < l->qlen; i++) q[i] = l->q[(l->qhead + i) & (l->qcap - 1)];
        free(l->q);
        l->q = q;
        l->qhead = 0;
        l->qcap = cap;
    }
    l->q[(l->qhead + l->qlen) & (l->qcap - 1)] = (struct pending){ c, c->next_seq++ };
    l->qlen++;
    c->inflight++;
    mark_link(l);
}

/* Routes the complete requests in d[0..n); returns the bytes consumed. Stops when c must wait
 * (backpressure), at an incomplete request (c->in.need set) or at a protocol error. */
static size_t parse_requests(struct client *c, const char *d, size_t n)
{
    size_t pos = 0;
    c->in.need = 0;
    while (pos < n && !c->closing) {
        if (c->inflight >= MAX_INFLIGHT || c->out.len - c->out.off >= MAX_OUT) { c->blocked = true; break; }
        struct req r = { 0 };
        size_t need;
        const char *err = NULL;
        long long used = parse_request(d + pos, n - pos, &r, &need, &err);
        if (used == 0) { c->in.need = need; break; }
        if (used < 0) {                              /* answered in order, then closed */
            local_reply(c, err);
            c->closing = true;
            return n;
        }
        pos += (size_t)used;
        if (!r.argc) continue;                       /* *0 / *-1: Redis ignores them too */
        struct link *l = &links[0];
        if (r.argc >= 2 && !keyless(r.a0, r.n0)) {
            uint8_t owner = slot_owner[key_slot(r.a1, r.n1)];
            if (owner == NO_MASTER) { local_reply(c, "-CLUSTERDOWN Hash slot not served\r\n"); continue; }
            l = &links[owner];
        } else if (r.n0 == 4 && strncasecmp(r.a0, "QUIT", 4) == 0) {
            local_reply(c, "+OK\r\n");
            c->closing = true;
            return n;
        }
        forward(c, l, d + pos - (size_t)used, (size_t)used);
    }
    return pos;
}

static void client_read(struct client *c)
{
    while (c->rd && !c->blocked && !c->closing && !c->dead) {
        bool from_scratch = c->in.len == 0;
        char *dst = scratch;
        size_t space = SCRATCH_SZ;
        if (!from_scratch) {                         /* append to the incomplete request */
            size_t want = c->in.len + 16 * 1024;
            if (c->in.need > want) want = c->in.need;
            if (want > MAX_REQ + SCRATCH_SZ) want = MAX_REQ + SCRATCH_SZ;
            ibuf_reserve(&c->in, want);
            dst = c->in.p + c->in.len;
            space = c->in.cap - c->in.len;
            if (!space) {                            /* cannot happen below MAX_REQ; be safe */
                local_reply(c, "-ERR resp-router: request larger than 64 MiB\r\n");
                c->closing = true;
                break;
            }
        }
        ssize_t n = recv(c->fd, dst, space, MSG_DONTWAIT);
        if (n == 0) { kill_client(c); return; }     /* EOF: like Redis, drop what is unanswered */
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { c->rd = false; break; }
            kill_client(c);
            return;
        }
        /* Short read: the queue was empty, new data will raise a new edge. Not after RDHUP:
         * a FIN that came with this edge raises no new one. */
        if ((size_t)n < space && !c->hup) c->rd = false;
        if (from_scratch) {
            size_t used = parse_requests(c, scratch, (size_t)n);
            if (used < (size_t)n) {
                ibuf_reserve(&c->in, (size_t)n - used > c->in.need ? (size_t)n - used : c->in.need);
                memcpy(c->in.p, scratch + used, (size_t)n - used);
                c->in.len = (size_t)n - used;
            }
        } else {
            c->in.len += (size_t)n;
            if (c->in.len >= c->in.need) ibuf_consume(&c->in, parse_requests(c, c->in.p, c->in.len));
            if (c->in.len >= MAX_REQ && !c->closing && !c->blocked) {
                local_reply(c, "-ERR resp-router: request larger than 64 MiB\r\n");
                c->closing = true;
            }
        }
    }
}

/* A client that was not read (backpressure) may go on: first what it already sent. */
static void client_resume(struct client *c)
{
    if (c->dead || c->closing) return;
    if (c->in.len && c->in.len >= c->in.need) ibuf_consume(&c->in, parse_requests(c, c->in.p, c->in.len));
    client_read(c);
}

static void flush_client(struct client *c)
{
    c->dirty = false;
    if (c->dead) return;
    size_t pending = c->out.len - c->out.off;
    if (pending && c->wr) {
        ssize_t n = send(c->fd, c->out.p + c->out.off, pending, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN) { kill_client(c); return; }
            n = 0;
        }
        c->out.off += (size_t)n;
        pending -= (size_t)n;
        if (pending) {
            c->wr = false;                           /* an EPOLLOUT edge will follow */
        } else {
            c->out.off = c->out.len = 0;
            if (c->out.cap > SHRINK_AT) { free(c->out.p); c->out.p = NULL; c->out.cap = 0; }
        }
    }
    if (c->closing && !c->inflight && !pending) { kill_client(c); return; }
    if (c->blocked && c->inflight <= MAX_INFLIGHT / 2 && pending <= MAX_OUT / 2) {
        c->blocked = false;
        if (!c->resume_q) { c->resume_q = true; c->next_resume = resume_list; resume_list = c; }
    }
}

static void on_client(struct client *c, uint32_t ev)
{
    if (c->dead) return;
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hup = true;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->rd = true;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
        c->wr = true;
        if (c->out.len > c->out.off) mark_client(c);
    }
    client_read(c);
}

/* --- links -------------------------------------------------------------------------------- */

static void link_read(struct link *l)
{
    while (l->rd) {
        if (l->in.len == l->in.cap) ibuf_reserve(&l->in, l->in.cap * 2);
        if (l->in.need > l->in.cap) ibuf_reserve(&l->in, l->in.need);
        size_t space = l->in.cap - l->in.len;
        ssize_t n = recv(l->fd, l->in.p + l->in.len, space, MSG_DONTWAIT);
        if (n == 0) fatal("master closed the link", l->port);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { l->rd = false; break; }
            fatal(strerror(errno), l->port);
        }
        if ((size_t)n < space && !l->hup) l->rd = false;
        l->in.len += (size_t)n;
        if (l->in.len < l->in.need) continue;
        size_t pos = 0;
        for (;;) {
            size_t need;
            long long len = reply_len(l->in.p + pos, l->in.len - pos, &need);
            if (len < 0) fatal("reply is not RESP2", l->port);
            if (len == 0) { l->in.need = need; break; }
            if (!l->qlen) fatal("reply without a request", l->port);
            struct pending p = l->q[l->qhead];
            l->qhead = (l->qhead + 1) & (l->qcap - 1);
            l->qlen--;
            deliver(p.c, p.seq, l->in.p + pos, (size_t)len);
            pos += (size_t)len;
        }
        ibuf_consume(&l->in, pos);
        if (!l->in.p) ibuf_reserve(&l->in, LINK_BUF);
    }
}

static void flush_link(struct link *l)
{
    l->dirty = false;
    size_t pending = l->out.len - l->out.off;
    if (!pending || !l->wr) return;
    ssize_t n = send(l->fd, l->out.p + l->out.off, pending, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN) fatal(strerror(errno), l->port);
        n = 0;
    }
    if ((size_t)n < pending) {
        l->out.off += (size_t)n;
        l->wr = false;
    } else {
        l->out.off = l->out.len = 0;
    }
}

static void on_link(struct link *l, uint32_t ev)
{
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) l->hup = true;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) l->rd = true;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
        l->wr = true;
        if (l->out.len > l->out.off) mark_link(l);
    }
    link_read(l);
}

/* --- start-up ------------------------------------------------------------------------------ */

static void add(int fd, void *ptr)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = ptr };
    if (!ptr) ev.events = EPOLLIN | EPOLLET;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static int connect_to(struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) die("socket");
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt");
    if (connect(fd, (struct sockaddr *)a, sizeof *a) < 0) return -1;
    return fd;
}

/* A tiny reader over one complete reply, for CLUSTER SLOTS. */
struct rd { const char *p, *end; };

static long long rd_head(struct rd *r, char type)
{
    long long v;
    size_t next;
    if (r->p >= r->end || *r->p != type || int_line(r->p, (size_t)(r->end - r->p), 1, &v, &next) != 1) {
        fprintf(stderr, "resp-router: unexpected CLUSTER SLOTS reply\n");
        exit(1);
    }
    r->p += next;
    return v;
}

static void rd_skip(struct rd *r)
{
    size_t need;
    long long n = reply_len(r->p, (size_t)(r->end - r->p), &need);
    if (n <= 0) { fprintf(stderr, "resp-router: unexpected CLUSTER SLOTS reply\n"); exit(1); }
    r->p += n;
}

static void load_slots(struct sockaddr_in *seed)
{
    int fd = connect_to(seed);
    if (fd < 0) die("connect to the seed");
    static const char cmd[] = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
    if (send(fd, cmd, sizeof cmd - 1, MSG_NOSIGNAL) != (ssize_t)sizeof cmd - 1) die("send CLUSTER SLOTS");
    struct ibuf b = { 0 };
    size_t need;
    long long total;
    ibuf_reserve(&b, 64 * 1024);
    while ((total = reply_len(b.p, b.len, &need)) == 0) {
        if (b.len == b.cap) ibuf_reserve(&b, b.cap * 2);
        ssize_t n = recv(fd, b.p + b.len, b.cap - b.len, 0);
        if (n <= 0) die("recv CLUSTER SLOTS");
        b.len += (size_t)n;
    }
    close(fd);
    if (total < 0 || b.p[0] != '*') {
        fprintf(stderr, "resp-router: CLUSTER SLOTS failed: %.*s\n", (int)(b.len < 200 ? b.len : 200), b.p);
        exit(1);
    }
    memset(slot_owner, NO_MASTER, sizeof slot_owner);
    struct sockaddr_in addrs[MAX_MASTERS];
    struct rd r = { b.p, b.p + total };
    long long ranges = rd_head(&r, '*');
    size_t covered = 0;
    for (long long i = 0; i < ranges; i++) {
        long long fields = rd_head(&r, '*');
        long long from = rd_head(&r, ':'), to = rd_head(&r, ':');
        long long parts = rd_head(&r, '*');          /* the master: ip, port, id, ... */
        long long iplen = rd_head(&r, '$');
        char ip[64] = "";
        if (iplen > 0 && iplen < (long long)sizeof ip) memcpy(ip, r.p, (size_t)iplen);
        r.p += iplen + 2;
        long long port = rd_head(&r, ':');
        for (long long k = 2; k < parts; k++) rd_skip(&r);  /* id, metadata */
        for (long long k = 3; k < fields; k++) rd_skip(&r);  /* replicas */
        struct sockaddr_in a = *seed;
        a.sin_port = htons((uint16_t)port);
        if (ip[0] && inet_pton(AF_INET, ip, &a.sin_addr) != 1) a.sin_addr = seed->sin_addr;
        int m;
        for (m = 0; m < nlinks; m++)
            if (addrs[m].sin_port == a.sin_port && addrs[m].sin_addr.s_addr == a.sin_addr.s_addr) break;
        if (m == nlinks) {
            if (nlinks == MAX_MASTERS) { fprintf(stderr, "resp-router: too many masters\n"); exit(1); }
            addrs[nlinks++] = a;
        }
        for (long long s = from; s <= to && s < NSLOTS; s++) {
            if (slot_owner[s] == NO_MASTER) covered++;
            slot_owner[s] = (uint8_t)m;
        }
    }
    free(b.p);
    if (!nlinks) { fprintf(stderr, "resp-router: CLUSTER SLOTS names no master\n"); exit(1); }
    for (int m = 0; m < nlinks; m++) {
        struct link *l = &links[m];
        l->kind = K_LINK;
        l->port = ntohs(addrs[m].sin_port);
        if ((l->fd = connect_to(&addrs[m])) < 0) die("connect to a master");
        if (fcntl(l->fd, F_SETFL, O_NONBLOCK) < 0) die("fcntl");
        l->wr = true;
        ibuf_reserve(&l->in, LINK_BUF);
        add(l->fd, l);
    }
    fprintf(stderr, "resp-router: %d masters, %zu of %d slots served; masters:", nlinks, covered, NSLOTS);
    for (int m = 0; m < nlinks; m++) fprintf(stderr, " %d", links[m].port);
    fprintf(stderr, "\n");
}

static void on_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN) perror("accept4");
            return;
        }
        /* TCP_NODELAY: inherited from the listener. */
        struct client *c = calloc(1, sizeof *c);
        if (!c) { close(fd); continue; }
        c->kind = K_CLIENT;
        c->fd = fd;
        c->wr = true;
        add(fd, c);
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
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s LISTEN_PORT SEED_PORT [COALESCE_US]   (both on 127.0.0.1)\n", argv[0]);
        return 2;
    }
    if (argc == 4) {
        char *end;
        long us = strtol(argv[3], &end, 10);
        if (*end || us < 0 || us > 100000) { fprintf(stderr, "bad COALESCE_US: %s\n", argv[3]); return 2; }
        coalesce_ns = us * 1000;
        if (coalesce_ns && prctl(PR_SET_TIMERSLACK, 1UL) < 0) die("prctl");  /* else +50 us of slack */
    }
    signal(SIGPIPE, SIG_IGN);
    crc16_init();
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port_arg(argv[1])),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in seed = la;
    seed.sin_port = htons((uint16_t)port_arg(argv[2]));
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
    load_slots(&seed);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (lfd < 0) die("socket");
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt");
    if (bind(lfd, (struct sockaddr *)&la, sizeof la) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    add(lfd, NULL);

    static struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        /* Clients let go by backpressure during the last flush are read without sleeping. */
        int n = epoll_wait(ep, evs, MAX_EVENTS, resume_list ? 0 : -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        if (coalesce_ns && n > 0 && n < MAX_EVENTS) {  /* the experiment: let more arrive first */
            struct timespec ts = { 0, coalesce_ns };
            nanosleep(&ts, NULL);
            int more = epoll_wait(ep, evs + n, MAX_EVENTS - n, 0);  /* a socket may come twice: harmless */
            if (more > 0) n += more;
        }
        for (int i = 0; i < n; i++) {             /* read everything the batch reported */
            void *p = evs[i].data.ptr;
            if (!p) on_accept(lfd);
            else if (*(enum kind *)p == K_LINK) on_link(p, evs[i].events);
            else on_client(p, evs[i].events);
        }
        while (resume_list) {
            struct client *c = resume_list;
            resume_list = c->next_resume;
            c->resume_q = false;
            client_resume(c);
        }
        while (dirty_links) {                      /* one send per link with requests */
            struct link *l = dirty_links;
            dirty_links = l->next_dirty;
            flush_link(l);
        }
        while (dirty_clients) {                    /* one send per client with replies */
            struct client *c = dirty_clients;
            dirty_clients = c->next_dirty;
            flush_client(c);
        }
        while (free_list) {
            struct client *c = free_list;
            free_list = c->next_free;
            free(c->in.p);
            free(c->out.p);
            free(c);
        }
    }
}
