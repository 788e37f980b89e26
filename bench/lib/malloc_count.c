/*
 * malloc_count.so — an LD_PRELOAD allocation counter for bench/malloc-count.
 *
 * Counts, per thread, every call to malloc, calloc, realloc (and reallocarray), the aligned
 * allocators (posix_memalign, aligned_alloc, memalign, valloc, pvalloc) and free, then hands
 * the call to glibc's own implementation (__libc_malloc & co., so no dlsym bootstrapping).
 *
 * The counters live in a file mapped MAP_SHARED ($MALLOC_COUNT_FILE), so the benchmark script
 * reads them at any moment without signals or threads in the measured process. Layout (little
 * endian): a 16-byte header {u64 magic, u32 used slots, u32 slot count}, then SLOTS slots of 64
 * bytes {i32 tid, i32 reserved, u64 malloc, calloc, realloc, memalign, free, u64 reserved[2]}.
 * A thread takes a slot on its first allocation; threads beyond SLOTS share the last one (tid -1).
 *
 * Build: gcc -O2 -shared -fPIC -o malloc_count.so malloc_count.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

#define SLOTS 256
#define MAGIC 0x746e756f636c6c6dULL /* "mllcount" */

struct slot {
    _Atomic int32_t tid;
    int32_t reserved;
    _Atomic uint64_t malloc, calloc, realloc, memalign, free;
    uint64_t reserved2[2];
};

struct table {
    uint64_t magic;
    _Atomic uint32_t used;
    uint32_t slots;
    struct slot slot[SLOTS];
};

_Static_assert(sizeof(struct slot) == 64, "slot layout");
_Static_assert(offsetof(struct table, slot) == 16, "header layout");

static struct table early = {.magic = MAGIC, .slots = SLOTS};
static struct table *table = &early;
static __thread int my_slot __attribute__((tls_model("initial-exec"))) = -1;

static struct slot *current(void) {
    int index = my_slot;
    if (index < 0) {
        index = (int)atomic_fetch_add_explicit(&table->used, 1, memory_order_relaxed);
        if (index >= SLOTS - 1) {
            index = SLOTS - 1;
            atomic_store_explicit(&table->slot[index].tid, -1, memory_order_relaxed);
        } else {
            atomic_store_explicit(&table->slot[index].tid, (int32_t)syscall(SYS_gettid), memory_order_relaxed);
        }
        my_slot = index;
    }
    return &table->slot[index];
}

#define COUNT(field) atomic_fetch_add_explicit(&current()->field, 1, memory_order_relaxed)

__attribute__((constructor)) static void malloc_count_init(void) {
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (path == NULL || *path == 0) return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (ftruncate(fd, sizeof(struct table)) != 0) {
        close(fd);
        return;
    }
    struct table *mapped = mmap(NULL, sizeof(struct table), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mapped == MAP_FAILED) return;
    /* Still single-threaded here: carry over what was counted before the constructor ran. */
    memcpy(mapped, &early, sizeof(struct table));
    table = mapped;
}

void *malloc(size_t size) {
    COUNT(malloc);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    COUNT(calloc);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    COUNT(realloc);
    return __libc_realloc(pointer, size);
}

void *reallocarray(void *pointer, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    COUNT(realloc);
    return __libc_realloc(pointer, bytes);
}

void free(void *pointer) {
    if (pointer != NULL) COUNT(free);
    __libc_free(pointer);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    COUNT(memalign);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    COUNT(memalign);
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    COUNT(memalign);
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    COUNT(memalign);
    return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size) {
    COUNT(memalign);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return __libc_memalign(page, (size + page - 1) & ~(page - 1));
}
