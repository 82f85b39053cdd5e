/* png.c: PNG encoding of RGB frames with libpng (to memory or to a file). */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "base.h"
#include "viewer_internal.h"

/* A growing output buffer for libpng's write callback. */
typedef struct pngSink {
  unsigned char *data;
  size_t len, cap;
  int failed;
} pngSink;

static void sinkWrite(png_structp png, png_bytep bytes, png_size_t n) {
  pngSink *s = png_get_io_ptr(png);
  if (s->failed) {
    return;
  }
  if (s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap : 65536;
    while (cap < s->len + n) {
      cap *= 2;
    }
    unsigned char *p = realloc(s->data, cap);
    if (!p) {
      s->failed = 1;
      return;
    }
    s->data = p;
    s->cap = cap;
  }
  memcpy(s->data + s->len, bytes, n);
  s->len += n;
}

static void sinkFlush(png_structp png) {
  (void)png;
}

/* Encodes into sink; returns 0 or -1 (libpng error or sink failure). */
static int encode(const unsigned char *rgb, int width, int height, pngSink *sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  if (!png) {
    return -1;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    return -1;
  }
  /* libpng reports errors by longjmp; nothing below allocates outside libpng */
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return -1;
  }
  png_set_write_fn(png, sink, sinkWrite, sinkFlush);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  size_t stride = (size_t)width * 3;
  for (int y = 0; y < height; y++) {
    png_write_row(png, (png_const_bytep)(rgb + (size_t)y * stride));
  }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return sink->failed ? -1 : 0;
}

int sim_encodePng(const unsigned char *rgb, int width, int height, simPng *out, char *err,
                  size_t errsz) {
  if (!rgb || !out || width < 1 || height < 1 || width > 65535 || height > 65535) {
    tb_setErr(err, errsz, "png: bad image (%dx%d) or NULL argument", width, height);
    return TB_EINVAL;
  }
  out->data = NULL;
  out->len = 0;
  pngSink sink = {NULL, 0, 0, 0};
  if (encode(rgb, width, height, &sink) != 0) {
    free(sink.data);
    tb_setErr(err, errsz, "png: encoding a %dx%d image failed%s", width, height,
              sink.failed ? " (out of memory)" : "");
    return sink.failed ? TB_ENOMEM : TB_EIO;
  }
  out->data = sink.data;
  out->len = sink.len;
  return 0;
}

int sim_writePng(const char *path, const unsigned char *rgb, int width, int height, char *err,
                 size_t errsz) {
  if (!path) {
    tb_setErr(err, errsz, "png: NULL path");
    return TB_EINVAL;
  }
  simPng img;
  int rc = sim_encodePng(rgb, width, height, &img, err, errsz);
  if (rc != 0) {
    return rc;
  }
  rc = tb_writeFileAtomic(path, img.data, img.len, err, errsz);
  free(img.data);
  return rc;
}
