// SPDX-License-Identifier: MIT
/*
 * libpmm_freestanding with no C library at all: this file is the whole
 * program beside the library and the compiler's runtime (linked with
 * -nostdlib -static).  It brings what docs/freestanding.md says an
 * embedder brings and nothing more:
 *
 * - _start, and four Linux system calls by hand (write, mmap, arch_prctl,
 *   exit_group), standing in for a kernel's own console and memory;
 * - the thread pointer: the static TLS block laid out from the program's
 *   PT_TLS header and %fs pointed at it, as a kernel does per CPU;
 * - memcpy, memmove, memset, memcmp, memchr, strlen, strcmp, strncmp,
 *   snprintf and vsnprintf, written here;
 * - a struct pmm_platform over one arena.
 *
 * It boots a machine, allocates and frees, reads reports and page_owner
 * into buffers, frees a block twice and checks the report, takes a block
 * away and back, and exits 0 when every check held.  x86-64 Linux only
 * (the system calls and the TLS layout are that ABI's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <pmm/errno.h>
#include <pmm/hotplug.h>
#include <pmm/page_owner.h>
#include <pmm/pmm.h>
#include <pmm/report.h>

/* ------------------------------------------------------------ system calls */

static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

#define SYS_write 1
#define SYS_mmap 9
#define SYS_arch_prctl 158
#define SYS_exit_group 231
#define ARCH_SET_FS 0x1002

static __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		sys3(SYS_exit_group, code, 0, 0);
}

static void *sys_mmap_anon(size_t size)
{
	/* PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE */
	long r = sys6(SYS_mmap, 0, (long)size, 3, 0x22 | 0x4000, -1, 0);

	return r < 0 && r > -4096 ? NULL : (void *)r;
}

/* ------------------------------------------------------------ the C library pmm needs */

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...);

/*
 * The compiler may turn these very loops into calls to themselves; the
 * volatile pointers keep them loops.
 */
void *memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	volatile unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp) {
		while (n--)
			*dp++ = *sp++;
	} else {
		while (n--)
			dp[n] = sp[n];
	}
	return d;
}

void *memset(void *d, int c, size_t n)
{
	volatile unsigned char *dp = d;

	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

/* The output of one vsnprintf(): counts every character, stores what fits. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, int left, char pad,
		       const char *prefix)
{
	size_t pl = strlen(prefix);
	int fill = width > (int)(n + pl) ? width - (int)(n + pl) : 0;

	if (!left && pad == ' ')
		while (fill-- > 0)
			put(o, ' ');
	while (*prefix)
		put(o, *prefix++);
	if (!left && pad == '0')
		while (fill-- > 0)
			put(o, '0');
	while (n--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

/* C99's conversions d i u o x X c s p %, flags - 0 # + space, width and precision (or *), hh h l ll z j t. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int left = 0, zero = 0, alt = 0, plus = 0, space = 0, width = 0, prec = -1, lng = 0;
		char digits[32], *d = digits + sizeof(digits), sign[3] = "";
		unsigned long long v;
		unsigned base = 10;
		const char *hex = "0123456789abcdef";

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else if (*fmt == '#')
				alt = 1;
			else if (*fmt == '+')
				plus = 1;
			else if (*fmt == ' ')
				space = 1;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0)
				left = 1, width = -width;
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't')
				lng = 2;
			else if (*fmt != 'h')
				break;
		}
		switch (*fmt) {
		case '%':
			put(&o, '%');
			continue;
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&o, &c, 1, width, left, ' ', "");
			continue;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n = 0;

			if (!s)
				s = "(null)";
			while (s[n] && (prec < 0 || n < (size_t)prec))
				n++;
			put_padded(&o, s, n, width, left, ' ', "");
			continue;
		}
		case 'p':
			v = (uintptr_t)va_arg(ap, void *);
			base = 16, alt = 1, lng = 2;
			break;
		case 'd':
		case 'i': {
			long long s = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);

			v = s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s;
			if (s < 0)
				sign[0] = '-';
			else if (plus)
				sign[0] = '+';
			else if (space)
				sign[0] = ' ';
			break;
		}
		case 'o':
		case 'u':
		case 'x':
		case 'X':
			v = lng >= 2 ? va_arg(ap, unsigned long long)
			    : lng    ? va_arg(ap, unsigned long)
				     : va_arg(ap, unsigned);
			base = *fmt == 'o' ? 8 : *fmt == 'u' ? 10 : 16;
			if (*fmt == 'X')
				hex = "0123456789ABCDEF";
			break;
		default: /* not C: print it as it stands */
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
			continue;
		}
		do {
			*--d = hex[v % base];
			v /= base;
		} while (v);
		while (prec > 0 && digits + sizeof(digits) - d < prec)
			*--d = '0';
		if (alt && base == 16 && !(d[0] == '0' && d + 1 == digits + sizeof(digits) && *fmt != 'p'))
			sign[0] = '0', sign[1] = *fmt == 'X' ? 'X' : 'x';
		put_padded(&o, d, (size_t)(digits + sizeof(digits) - d), width, left,
			   zero && prec < 0 ? '0' : ' ', sign);
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ------------------------------------------------------------ output and checks */

static void out_str(const char *s)
{
	sys3(SYS_write, 1, (long)s, (long)strlen(s));
}

static int failures;

static void check(int ok, const char *what, const char *detail)
{
	if (ok)
		return;
	failures++;
	out_str("FAIL: ");
	out_str(what);
	if (detail) {
		char cut[200];

		snprintf(cut, sizeof(cut), ": %.160s", detail);
		out_str(cut);
	}
	out_str("\n");
}

static const char *find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return hay;
	return NULL;
}

/* ------------------------------------------------------------ the thread pointer */

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_TLS 7
#define AT_PHDR 3
#define AT_PHNUM 5

/*
 * x86-64's TLS variant II: the block ends where %fs points, and the word
 * there points to itself.  @auxv is the process's auxiliary vector.
 */
static int setup_tls(const uint64_t *auxv)
{
	static char area[1 << 16] __attribute__((aligned(64)));
	const struct phdr *ph = NULL, *tls = NULL;
	uint64_t nph = 0, size;
	char *tp;

	for (; auxv[0]; auxv += 2) {
		if (auxv[0] == AT_PHDR)
			ph = (const struct phdr *)auxv[1];
		else if (auxv[0] == AT_PHNUM)
			nph = auxv[1];
	}
	for (uint64_t i = 0; ph && i < nph; i++)
		if (ph[i].type == PT_TLS)
			tls = &ph[i];
	if (!tls)
		return 0; /* no thread-local data at all */
	size = (tls->memsz + tls->align - 1) & ~(tls->align - 1);
	if (size + 64 > sizeof(area))
		return -1;
	tp = area + size;
	memcpy(tp - size, (const void *)tls->vaddr, tls->filesz);
	memset(tp - size + tls->filesz, 0, tls->memsz - tls->filesz);
	*(void **)tp = tp;
	return sys3(SYS_arch_prctl, ARCH_SET_FS, (long)tp, 0) ? -1 : 0;
}

/* ------------------------------------------------------------ the platform */

#define ARENA_SIZE (4ul << 30)

static char *arena;
static size_t arena_used;
static uint64_t ticks;
static char log_buf[1 << 16];
static size_t log_len;

static void *take(size_t size, size_t align)
{
	size_t at = (arena_used + align - 1) & ~(align - 1);

	if (at + size > ARENA_SIZE)
		return NULL;
	arena_used = at + size;
	return arena + at;
}

static void *p_reserve(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	return take(size, align < 4096 ? 4096 : align);
}

static void p_release(void *ctx, void *addr, size_t size)
{
	(void)ctx, (void)addr, (void)size;
}

static int p_commit(void *ctx, void *addr, size_t size, unsigned flags)
{
	(void)ctx, (void)addr, (void)size, (void)flags;
	return 0;
}

static int p_decommit(void *ctx, void *addr, size_t size)
{
	(void)ctx;
	memset(addr, 0, size);
	return 0;
}

static int p_discard(void *ctx, void *addr, size_t size)
{
	(void)ctx, (void)addr, (void)size;
	return 0;
}

static int p_protect(void *ctx, void *addr, size_t size, int access)
{
	(void)ctx, (void)addr, (void)size, (void)access;
	return 0;
}

static void *p_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return take(size ? size : 1, 64);
}

static void p_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx, (void)ptr, (void)size;
}

static uint64_t p_clock(void *ctx)
{
	(void)ctx;
	return ticks += 1000;
}

static unsigned p_cpu(void *ctx)
{
	(void)ctx;
	return 0;
}

static unsigned p_nr_cpus(void *ctx)
{
	(void)ctx;
	return 1;
}

static void p_task(void *ctx, int *pid, int *tgid, char comm[16])
{
	(void)ctx;
	*pid = *tgid = 1;
	memcpy(comm, "init", 5);
}

static unsigned p_stack(void *ctx, uintptr_t *entries, unsigned max, unsigned skip)
{
	(void)ctx, (void)skip;
	if (!max)
		return 0;
	entries[0] = (uintptr_t)__builtin_return_address(0);
	return 1;
}

static void p_log(void *ctx, int level, const char *msg)
{
	size_t n = strlen(msg);

	(void)ctx, (void)level;
	if (log_len + n < sizeof(log_buf)) {
		memcpy(log_buf + log_len, msg, n + 1);
		log_len += n;
	}
}

static const struct pmm_platform platform = {
	.name = "nolibc",
	.reserve = p_reserve,
	.release = p_release,
	.commit = p_commit,
	.decommit = p_decommit,
	.discard = p_discard,
	.protect = p_protect,
	.alloc = p_alloc,
	.free = p_free,
	.clock_ns = p_clock,
	.current_cpu = p_cpu,
	.nr_cpus = p_nr_cpus,
	.task = p_task,
	.stack = p_stack,
	.log = p_log,
	.page_size = 4096,
};

/* ------------------------------------------------------------ the run */

static void check_printf(void)
{
	char b[128];

	snprintf(b, sizeof(b), "%d|%5lu|%-4s|%#llx|%08zx|%.*s|%*c|%03d|%p", -42, 7ul, "ab", 0x1fULL,
		 (size_t)0xbeef, 3, "abcdef", 3, 'z', 7, (void *)0x10);
	check(!strcmp(b, "-42|    7|ab  |0x1f|0000beef|abc|  z|007|0x10"), "snprintf", b);
	check(snprintf(b, 4, "%s", "abcdef") == 6 && !strcmp(b, "abc"), "snprintf truncation", b);
}

static int run(const uint64_t *auxv)
{
	struct pmm_config cfg;
	struct pmm *m = NULL;
	struct pmm_page *p[32];
	static char buf[1 << 16];
	const char *tokens = "mem=512M cpus=1 page_owner=on";
	unsigned long before, pos, last = (512ul << 20) / 4096 - PMM_PAGES_PER_MEMORY_BLOCK;
	long n;
	int r;

	if (setup_tls(auxv)) {
		out_str("nolibc: cannot set up the thread pointer\n");
		return 1;
	}
	check_printf();
	arena = sys_mmap_anon(ARENA_SIZE);
	if (!arena) {
		out_str("nolibc: no arena\n");
		return 1;
	}
	pmm_config_default(&cfg);
	cfg.platform = &platform;
	r = pmm_config_parse(&cfg, tokens, strlen(tokens), "<nolibc>", buf, sizeof(buf));
	check(r == 0, "config", buf);
	r = pmm_create(&cfg, &m);
	check(r == 0 && m, "pmm_create", log_buf);
	if (!m)
		return 1;
	check(find(log_buf, "Built 1 zonelists") != NULL, "boot log", log_buf);

	before = pmm_nr_free_pages(m);
	for (int round = 0; round < 100; round++) {
		for (unsigned i = 0; i < 32; i++) {
			p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, i % 4);
			check(p[i] != NULL, "allocation", NULL);
			if (p[i])
				memset(pmm_page_address(m, p[i]), (int)i, 4096u << (i % 4));
		}
		for (unsigned i = 0; i < 32; i++)
			if (p[i])
				pmm_free_pages(m, p[i], i % 4);
	}
	pmm_drain_all(m);
	check(pmm_nr_free_pages(m) == before, "free pages back", NULL);
	check(pmm_validate(m, buf, sizeof(buf)) == 0, "validate", buf);

	n = pmm_report_snprint(m, PMM_REPORT_BUDDYINFO, buf, sizeof(buf));
	check(n > 0 && !strncmp(buf, "Node 0, zone      DMA ", 22), "buddyinfo", buf);
	out_str(buf);
	n = pmm_report_snprint(m, PMM_REPORT_ZONEINFO, buf, sizeof(buf));
	check(n > 0 && find(buf, "\n  pagesets\n    cpu: 0\n") != NULL, "zoneinfo", buf);

	p[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
	check(p[0] != NULL, "order-1 allocation", NULL);
	pos = p[0] ? pmm_page_to_pfn(m, p[0]) : 0;
	n = pmm_page_owner_read(m, buf, sizeof(buf), &pos, PMM_KVER_6_1);
	check(n > 0 && find(buf, "Page allocated via order 1, mask 0xcc0(GFP_KERNEL), pid 1, tgid 1 (init)"),
	      "page_owner", buf);
	check(find(buf, "\n 0x") != NULL, "a stack as bare addresses", buf);
	if (p[0]) {
		pmm_free_pages(m, p[0], 1);
		log_len = 0;
		pmm_free_pages(m, p[0], 1); /* again */
		check(find(log_buf, "BUG: Bad page state") != NULL, "double free report", log_buf);
		check(pmm_bad_page_count(m) == 1, "one bad page", NULL);
	}

	check(pmm_offline_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK) == 0, "offline", log_buf);
	check(pmm_online_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK, PMM_ONLINE_MOVABLE) == 0, "online",
	      log_buf);
	pmm_drain_all(m);
	check(pmm_validate(m, buf, sizeof(buf)) == 0, "validate at the end", buf);
	pmm_destroy(m);
	snprintf(buf, sizeof(buf), "nolibc: %zu MiB of the arena used, %d failed\n", arena_used >> 20,
		 failures);
	out_str(buf);
	return failures ? 1 : 0;
}

/* The process's first instruction: %rsp points at argc, then argv, envp and auxv. */
__attribute__((noreturn, used)) static void start_c(uint64_t *sp)
{
	uint64_t argc = sp[0];
	uint64_t *p = sp + 1 + argc + 1; /* envp */

	while (*p)
		p++;
	sys_exit(run(p + 1));
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call start_c\n"
	"	hlt\n");
