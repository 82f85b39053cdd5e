/* Tests of bounded input files and atomic output files (base/file.c): special files never
 * hang and are never replaced, caps hold before a byte is read, a failed write leaves the
 * old file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "tmpdir.h"

/* Writes text to the file at path. */
static void writeText(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Writes text to the file name in the scratch directory; its path goes to path. */
static void scratchText(char *path, size_t n, const char *name, const char *text) {
  tmpdir_join(path, n, name);
  writeText(path, text);
}

/* The file at path reads back as text. */
static void assertHolds(const char *path, const char *text) {
  char err[256] = "";
  char *s = tb_readFile(path, 100, NULL, err, sizeof err);
  assert_string_equal(s, text);
  free(s);
}

static void read_file_should_read_a_regular_file_whole(void **state) {
  (void)state;
  char p[128];
  scratchText(p, sizeof p, "a.txt", "hello\n");
  size_t n = 0;
  char err[256] = "";
  char *s = tb_readFile(p, 100, &n, err, sizeof err);
  assert_non_null(s);
  assert_int_equal(n, 6);
  assert_string_equal(s, "hello\n");
  free(s);
}

static void read_file_should_refuse_a_fifo_at_once(void **state) {
  (void)state;
  char p[128];
  tmpdir_join(p, sizeof p, "fifo");
  assert_int_equal(mkfifo(p, 0600), 0);
  char err[256] = "";
  /* no writer: a blocking open would hang here forever */
  assert_null(tb_readFile(p, 100, NULL, err, sizeof err));
  assert_non_null(strstr(err, "not a regular file (a FIFO)"));
  assert_non_null(strstr(err, p));
}

static void read_file_should_refuse_directories_and_devices(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(tb_readFile(tmpdir_path(), 100, NULL, err, sizeof err));
  assert_non_null(strstr(err, "a directory"));
  assert_null(tb_readFile("/dev/zero", 100, NULL, err, sizeof err));
  assert_non_null(strstr(err, "a character device"));
  assert_true(tb_openInput("/dev/null", 0, NULL, err, sizeof err) < 0);
}

static void read_file_should_refuse_a_file_over_the_cap_before_reading(void **state) {
  (void)state;
  char p[128];
  scratchText(p, sizeof p, "big.txt", "0123456789");
  char err[256] = "";
  assert_null(tb_readFile(p, 9, NULL, err, sizeof err));
  assert_non_null(strstr(err, "larger than 9 bytes"));
  char *s = tb_readFile(p, 10, NULL, err, sizeof err);
  assert_non_null(s);
  free(s);
}

static void read_file_should_name_a_missing_file(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(tb_readFile("/nonexistent/x.c", 100, NULL, err, sizeof err));
  assert_non_null(strstr(err, "cannot open /nonexistent/x.c"));
}

static void read_file_should_refuse_a_link_to_a_device_and_no_follow_any_link(void **state) {
  (void)state;
  char target[128];
  char good[128];
  char dev[128];
  tmpdir_join(target, sizeof target, "real.c");
  tmpdir_join(good, sizeof good, "good.c");
  tmpdir_join(dev, sizeof dev, "zero.c");
  writeText(target, "int x;\n");
  assert_int_equal(symlink(target, good), 0);
  assert_int_equal(symlink("/dev/zero", dev), 0);
  char err[256] = "";
  /* an input path given by a person may be a link to a regular file, never to a device */
  char *s = tb_readFile(good, 100, NULL, err, sizeof err);
  assert_non_null(s);
  free(s);
  assert_null(tb_readFile(dev, 100, NULL, err, sizeof err));
  assert_non_null(strstr(err, "not a regular file (a character device)"));
  /* a file inside a directory tracebot owns: no link at all */
  assert_null(tb_readFileNoFollow(good, 100, NULL, err, sizeof err));
  assert_non_null(strstr(err, "a symbolic link; refusing to follow it"));
  assert_true(tb_openInputNoFollow(dev, 100, NULL, err, sizeof err) < 0);
  s = tb_readFileNoFollow(target, 100, NULL, err, sizeof err);
  assert_string_equal(s, "int x;\n");
  free(s);
}

static void open_append_should_create_and_append_to_a_regular_file(void **state) {
  (void)state;
  char p[128];
  tmpdir_join(p, sizeof p, "lines.jsonl");
  char err[256] = "";
  for (int i = 0; i < 2; i++) {
    int fd = tb_openAppend(p, err, sizeof err);
    assert_true(fd >= 0);
    assert_int_equal(tb_writeAll(fd, "{}\n", 3), 0);
    close(fd);
  }
  char *s = tb_readFile(p, 100, NULL, err, sizeof err);
  assert_string_equal(s, "{}\n{}\n");
  free(s);
}

static void open_append_should_refuse_links_fifos_devices_and_hard_links(void **state) {
  (void)state;
  char target[128];
  char slink[128];
  char fifo[128];
  char hard[128];
  tmpdir_join(target, sizeof target, "victim.txt");
  tmpdir_join(slink, sizeof slink, "link.jsonl");
  tmpdir_join(fifo, sizeof fifo, "fifo.jsonl");
  tmpdir_join(hard, sizeof hard, "hard.jsonl");
  writeText(target, "keep");
  assert_int_equal(symlink(target, slink), 0);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(link(target, hard), 0);
  char err[256] = "";
  assert_int_equal(tb_openAppend(slink, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "a symbolic link; refusing to write through it"));
  /* no reader: a blocking open would hang here forever */
  assert_int_equal(tb_openAppend(fifo, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "a FIFO"));
  assert_int_equal(tb_openAppend("/dev/null", err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "a character device"));
  assert_int_equal(tb_openAppend(hard, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "another hard link"));
  assert_true(tb_openAppend(tmpdir_path(), err, sizeof err) < 0);
  char *s = tb_readFile(target, 100, NULL, err, sizeof err);
  assert_string_equal(s, "keep");
  free(s);
}

static void check_no_links_should_find_a_link_at_any_depth(void **state) {
  (void)state;
  char d[128];
  char sub[160];
  char file[200];
  char link[200];
  tmpdir_join(d, sizeof d, "run");
  snprintf(sub, sizeof sub, "%s/episodes", d);
  snprintf(file, sizeof file, "%s/iter_001.json", sub);
  snprintf(link, sizeof link, "%s/iter_002.json", sub);
  assert_int_equal(mkdir(d, 0700), 0);
  assert_int_equal(mkdir(sub, 0700), 0);
  writeText(file, "{}");
  char err[256] = "";
  assert_int_equal(tb_checkNoLinks(d, err, sizeof err), TB_OK);
  assert_int_equal(symlink("/dev/zero", link), 0);
  assert_int_equal(tb_checkNoLinks(d, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, link));
  assert_non_null(strstr(err, "is a symbolic link"));
  /* nothing there: no link either; a file is not a directory */
  assert_int_equal(tb_checkNoLinks("/nonexistent/run", err, sizeof err), TB_OK);
  assert_int_equal(tb_checkNoLinks(file, err, sizeof err), TB_EINVAL);
}

static void atomic_write_should_replace_a_file_whole(void **state) {
  (void)state;
  char p[128];
  scratchText(p, sizeof p, "out.json", "old");
  char err[256] = "";
  assert_int_equal(tb_writeFileAtomic(p, "new", 3, err, sizeof err), TB_OK);
  assertHolds(p, "new");
  char tmp[160];
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  assert_int_equal(access(tmp, F_OK), -1);
}

static void atomic_write_should_never_replace_a_special_file_or_a_link(void **state) {
  (void)state;
  char err[256] = "";
  /* a device node (run as root, a rename over it would replace it) */
  assert_int_equal(tb_writeFileAtomic("/dev/null", "x", 1, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "refusing to replace it"));
  struct stat st;
  assert_int_equal(stat("/dev/null", &st), 0);
  assert_true(S_ISCHR(st.st_mode));
  /* a symbolic link: its target stays as it was */
  char target[128];
  char link[128];
  scratchText(target, sizeof target, "target.txt", "keep");
  tmpdir_join(link, sizeof link, "link.txt");
  assert_int_equal(symlink(target, link), 0);
  assert_int_equal(tb_writeFileAtomic(link, "x", 1, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "a symbolic link"));
  assertHolds(target, "keep");
  /* a directory */
  assert_int_equal(tb_writeFileAtomic(tmpdir_path(), "x", 1, err, sizeof err), TB_EINVAL);
}

static void atomic_abort_should_leave_the_old_file(void **state) {
  (void)state;
  char p[128];
  scratchText(p, sizeof p, "kept.txt", "old");
  tbAtomicFile a;
  char err[256] = "";
  assert_int_equal(tb_atomicOpen(&a, p, err, sizeof err), TB_OK);
  fputs("half", a.f);
  tb_atomicAbort(&a);
  assertHolds(p, "old");
  tb_atomicAbort(&a); /* twice is harmless */
}

static void atomic_open_should_fail_in_a_missing_directory(void **state) {
  (void)state;
  tbAtomicFile a;
  char err[256] = "";
  assert_int_equal(tb_atomicOpen(&a, "/nonexistent/dir/x.json", err, sizeof err), TB_EIO);
  assert_non_null(strstr(err, "/nonexistent/dir/x.json.tmp"));
  tb_atomicAbort(&a);
}

static void read_all_and_write_all_should_move_every_byte(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_int_equal(tb_writeAll(p[1], "abcdef", 6), 0);
  close(p[1]);
  char got[8] = "";
  assert_int_equal(tb_readAll(p[0], got, 6), 0);
  assert_memory_equal(got, "abcdef", 6);
  assert_int_equal(tb_readAll(p[0], got, 1), -1); /* end of file */
  close(p[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(read_file_should_read_a_regular_file_whole),
      cmocka_unit_test(read_file_should_refuse_a_fifo_at_once),
      cmocka_unit_test(read_file_should_refuse_directories_and_devices),
      cmocka_unit_test(read_file_should_refuse_a_file_over_the_cap_before_reading),
      cmocka_unit_test(read_file_should_name_a_missing_file),
      cmocka_unit_test(read_file_should_refuse_a_link_to_a_device_and_no_follow_any_link),
      cmocka_unit_test(open_append_should_create_and_append_to_a_regular_file),
      cmocka_unit_test(open_append_should_refuse_links_fifos_devices_and_hard_links),
      cmocka_unit_test(check_no_links_should_find_a_link_at_any_depth),
      cmocka_unit_test(atomic_write_should_replace_a_file_whole),
      cmocka_unit_test(atomic_write_should_never_replace_a_special_file_or_a_link),
      cmocka_unit_test(atomic_abort_should_leave_the_old_file),
      cmocka_unit_test(atomic_open_should_fail_in_a_missing_directory),
      cmocka_unit_test(read_all_and_write_all_should_move_every_byte),
  };
  return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
