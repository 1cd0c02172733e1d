// SPDX-License-Identifier: MIT
/*
 * The report sink (report/seq.c) at its edges: pieces longer than its
 * 256-byte staging buffer, into a buffer that is big enough, too small,
 * already full or absent (counting only), and into a stream that works or
 * fails.  Checks the exact text, the NUL, len as snprintf counts it, and
 * that a write error sticks.
 */
#include "harness.h"

#include <pmm/errno.h>

#include "report/seq.h"

/* @n copies of the alphabet, cut to @n characters: "abc...zab..." */
static char *letters(size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = '\0';
	return s;
}

static void test_long_piece_fits(void **state)
{
	struct seq_file s;
	char buf[1024], want[1024];
	char *l = letters(300);

	(void)state;
	seq_init_buf(&s, buf, sizeof(buf));
	seq_puts(&s, "head ");
	seq_printf(&s, "[%s] %d", l, 42);
	seq_putc(&s, '\n');
	snprintf(want, sizeof(want), "head [%s] 42\n", l);
	assert_string_equal(buf, want);
	assert_int_equal(s.len, strlen(want));
	assert_int_equal(s.err, 0);
	free(l);
}

static void test_long_piece_truncated(void **state)
{
	struct seq_file s;
	char buf[101], want[600];
	char *l = letters(400);

	(void)state;
	memset(buf, 'X', sizeof(buf));
	seq_init_buf(&s, buf, 100);
	seq_puts(&s, "abc");
	seq_printf(&s, "%s", l);
	snprintf(want, sizeof(want), "abc%s", l);
	/* snprintf semantics: the first size - 1 characters and a NUL */
	assert_int_equal(s.len, 403);
	assert_memory_equal(buf, want, 99);
	assert_int_equal(buf[99], '\0');
	assert_int_equal(buf[100], 'X'); /* nothing past size */
	/* more after the end: counted, buffer untouched */
	seq_printf(&s, "%s!", l);
	seq_puts(&s, "tail");
	seq_putc(&s, '.');
	assert_int_equal(s.len, 403 + 401 + 4 + 1);
	assert_memory_equal(buf, want, 99);
	assert_int_equal(buf[99], '\0');
	assert_int_equal(buf[100], 'X');
	free(l);
}

/* A long piece that starts with exactly one byte of room left. */
static void test_long_piece_last_byte(void **state)
{
	struct seq_file s;
	char buf[8];
	char *l = letters(500);

	(void)state;
	seq_init_buf(&s, buf, sizeof(buf));
	seq_puts(&s, "1234567");
	assert_string_equal(buf, "1234567");
	seq_printf(&s, "%s", l);
	assert_string_equal(buf, "1234567");
	assert_int_equal(s.len, 507);
	free(l);
}

/* No buffer: only the length is counted, as snprintf(NULL, 0, ...). */
static void test_counting_only(void **state)
{
	struct seq_file s;
	char *l = letters(1000);

	(void)state;
	seq_init_buf(&s, NULL, 64);
	assert_int_equal(s.size, 0);
	seq_puts(&s, "ab");
	seq_printf(&s, "%s-%s", l, l);
	seq_printf(&s, "%d", 7);
	seq_putc(&s, 'z');
	assert_int_equal(s.len, 2 + 2001 + 1 + 1);
	assert_int_equal(s.err, 0);
	free(l);
}

static void test_stream_long_piece(void **state)
{
	struct seq_file s;
	char got[1024], want[1024];
	char *l = letters(700);
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	seq_init_file(&s, f);
	seq_puts(&s, "x=");
	seq_printf(&s, "%s|%u", l, 9u);
	seq_putc(&s, '\n');
	assert_int_equal(s.err, 0);
	snprintf(want, sizeof(want), "x=%s|9\n", l);
	assert_int_equal(s.len, strlen(want));
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	assert_string_equal(got, want);
	fclose(f);
	free(l);
}

/*
 * A stream whose writes fail (/dev/full, unbuffered): the first failure,
 * short or long piece, sets -PMM_EIO, which sticks; len still counts.
 */
static void failing_stream(int long_first)
{
	struct seq_file s;
	char *l = letters(300);
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		free(l);
		skip();
	}
	setvbuf(f, NULL, _IONBF, 0);
	seq_init_file(&s, f);
	if (long_first)
		seq_printf(&s, "%s", l);
	else
		seq_puts(&s, "short");
	assert_int_equal(s.err, -PMM_EIO);
	seq_puts(&s, "more");
	seq_printf(&s, "%s", l);
	seq_putc(&s, '\n');
	assert_int_equal(s.err, -PMM_EIO);
	assert_int_equal(s.len, (long_first ? 300 : 5) + 4 + 300 + 1);
	fclose(f);
	free(l);
}

static void test_stream_error_long(void **state)
{
	(void)state;
	failing_stream(1);
}

static void test_stream_error_short(void **state)
{
	(void)state;
	failing_stream(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_piece_fits),
		cmocka_unit_test(test_long_piece_truncated),
		cmocka_unit_test(test_long_piece_last_byte),
		cmocka_unit_test(test_counting_only),
		cmocka_unit_test(test_stream_long_piece),
		cmocka_unit_test(test_stream_error_long),
		cmocka_unit_test(test_stream_error_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
