/*
 * workload.c - page-allocator workload for the capture initramfs.
 * Build: gcc -static -O2 -o workload workload.c
 *
 * Subcommands:
 *   fork N                 fork N children; each touches 32..512 KiB of heap,
 *                          every 4th execs /bin/true; parent reaps all
 *   smallfiles DIR N       create N files of 1..16 KiB in DIR
 *   bigfile PATH MIB       write a MIB MiB file (non-zero data)
 *   readfile PATH          read a file to the end (page cache)
 *   anon N MIB MODE        N children, each mmaps MIB MiB of anonymous memory,
 *                          MODE = thp (MADV_HUGEPAGE) | nothp (MADV_NOHUGEPAGE)
 *                          | mixed (alternating, starting with thp) | mixed3
 *                          (every third chunk nothp); all hold their memory
 *                          until every child has touched its chunk, then exit
 *   pipes PAIRS MIB        PAIRS writer/reader pairs, each moves MIB MiB
 *                          through a pipe
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned long rng = 88172645463325252UL;
static unsigned long xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void reap_all(void)
{
	int st;
	while (wait(&st) > 0 || errno == EINTR)
		;
}

static int cmd_fork(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			if (i % 4 == 3) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(1);
			}
			size_t sz = (size_t)(32 + (i * 37) % 481) * 1024;
			char *b = malloc(sz);
			if (!b)
				_exit(1);
			for (size_t o = 0; o < sz; o += 4096)
				b[o] = (char)o;
			_exit(0);
		}
		if (i % 8 == 7)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
	reap_all();
	return 0;
}

static int write_file(const char *path, size_t bytes)
{
	static char buf[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	while (bytes) {
		size_t c = bytes < sizeof(buf) ? bytes : sizeof(buf);
		for (size_t i = 0; i < c; i += 64)
			*(unsigned long *)(buf + i) = xr();
		ssize_t w = write(fd, buf, c);
		if (w <= 0)
			die("write");
		bytes -= (size_t)w;
	}
	close(fd);
	return 0;
}

static int cmd_smallfiles(const char *dir, int n)
{
	char path[4096];
	mkdir(dir, 0755);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", dir, i);
		write_file(path, 1024 + xr() % (15 * 1024));
	}
	return 0;
}

static int cmd_readfile(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int cmd_anon(int n, size_t mib, const char *mode)
{
	int ready[2], go[2];
	if (pipe(ready) || pipe(go))
		die("pipe");
	for (int i = 0; i < n; i++) {
		int thp;
		if (!strcmp(mode, "thp"))
			thp = 1;
		else if (!strcmp(mode, "nothp"))
			thp = 0;
		else if (!strcmp(mode, "mixed3"))
			thp = (i % 3) != 2;
		else
			thp = (i % 2) == 0;
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			size_t sz = mib << 20;
			close(ready[0]);
			close(go[1]);
			/* over-allocate by 2 MiB so the region can be 2 MiB aligned */
			char *raw = mmap(NULL, sz + (2UL << 20), PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (raw == MAP_FAILED)
				_exit(2);
			char *b = (char *)(((unsigned long)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
			madvise(b, sz, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
			for (size_t o = 0; o < sz; o += 4096)
				b[o] = (char)(o >> 12);
			char c = thp ? 'H' : 'S';
			if (write(ready[1], &c, 1) != 1)
				_exit(3);
			/* hold until the parent closes go[1] */
			while (read(go[0], &c, 1) > 0)
				;
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	int got = 0, h = 0;
	char c;
	while (got < n && read(ready[0], &c, 1) == 1) {
		got++;
		h += c == 'H';
	}
	fprintf(stderr, "anon: %d/%d chunks of %zu MiB touched (%d thp)\n", got, n, mib, h);
	close(go[1]);
	reap_all();
	return 0;
}

static int cmd_pipes(int pairs, size_t mib)
{
	for (int i = 0; i < pairs; i++) {
		int fds[2];
		if (pipe(fds))
			die("pipe");
		pid_t r = fork();
		if (r < 0)
			die("fork");
		if (r == 0) {
			static char buf[65536];
			close(fds[1]);
			while (read(fds[0], buf, sizeof(buf)) > 0)
				;
			_exit(0);
		}
		pid_t w = fork();
		if (w < 0)
			die("fork");
		if (w == 0) {
			static char buf[65536];
			close(fds[0]);
			memset(buf, 'p' + i, sizeof(buf));
			size_t left = mib << 20;
			while (left) {
				size_t c = (size_t)(1 + xr() % sizeof(buf));
				if (c > left)
					c = left;
				ssize_t n = write(fds[1], buf, c);
				if (n <= 0)
					_exit(1);
				left -= (size_t)n;
			}
			_exit(0);
		}
		close(fds[0]);
		close(fds[1]);
	}
	reap_all();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: workload fork|smallfiles|bigfile|readfile|anon|pipes ...\n");
		return 2;
	}
	rng ^= (unsigned long)getpid() << 20;
	const char *c = argv[1];
	if (!strcmp(c, "fork") && argc == 3)
		return cmd_fork(atoi(argv[2]));
	if (!strcmp(c, "smallfiles") && argc == 4)
		return cmd_smallfiles(argv[2], atoi(argv[3]));
	if (!strcmp(c, "bigfile") && argc == 4)
		return write_file(argv[2], (size_t)atol(argv[3]) << 20);
	if (!strcmp(c, "readfile") && argc == 3)
		return cmd_readfile(argv[2]);
	if (!strcmp(c, "anon") && argc == 5)
		return cmd_anon(atoi(argv[2]), (size_t)atol(argv[3]), argv[4]);
	if (!strcmp(c, "pipes") && argc == 4)
		return cmd_pipes(atoi(argv[2]), (size_t)atol(argv[3]));
	fprintf(stderr, "bad arguments\n");
	return 2;
}
