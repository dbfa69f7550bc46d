/* Private: the on-disk layout of a log member (forensics/FORMAT.md §1.1), shared
 * by log_writer.c and log_reader.c. Not installed.
 *
 *   offset  size  field
 *   0       1     ID1   0x1f
 *   1       1     ID2   0x8b
 *   2       1     CM    8 (deflate)
 *   3       1     FLG   0x04 (FEXTRA)
 *   4       4     MTIME 0
 *   8       1     XFL   0
 *   9       1     OS    0xff (unknown)
 *   10      2     XLEN  6
 *   12      1     SI1   'B'
 *   13      1     SI2   'C'
 *   14      2     SLEN  2
 *   16      2     BSIZE member size - 1
 *   18      n     CDATA raw deflate, n = BSIZE - 25
 *   18+n    4     CRC32 of the uncompressed data
 *   22+n    4     ISIZE uncompressed size
 *
 * All integers little-endian. */
#ifndef FTF_LOG_FORMAT_H
#define FTF_LOG_FORMAT_H

#include <stdint.h>
#include <string.h>

#define FTF__LOG_HEADER_SIZE  18u
#define FTF__LOG_TRAILER_SIZE 8u
#define FTF__LOG_OVERHEAD     (FTF__LOG_HEADER_SIZE + FTF__LOG_TRAILER_SIZE)
/* Smallest member: raw deflate of nothing is 2 bytes (03 00). */
#define FTF__LOG_MEMBER_MIN (FTF__LOG_OVERHEAD + 2u)

/* The empty member htslib writes at close (bgzf.c's BGZF_EOF). */
static const uint8_t ftf__log_eof_member[28] = {0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
                                                0x06, 0x00, 0x42, 0x43, 0x02, 0x00, 0x1b, 0x00, 0x03, 0x00,
                                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static inline void ftf__log_put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)((v >> 8) & 0xff);
}

static inline void ftf__log_put32(uint8_t *p, uint32_t v) {
    ftf__log_put16(p, v & 0xffff);
    ftf__log_put16(p + 2, v >> 16);
}

static inline uint32_t ftf__log_get16(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static inline uint32_t ftf__log_get32(const uint8_t *p) {
    return ftf__log_get16(p) | (ftf__log_get16(p + 2) << 16);
}

/* Writes the fixed 18-byte header for a member of `member_size` bytes. */
static inline void ftf__log_put_header(uint8_t *h, uint32_t member_size) {
    memcpy(h, ftf__log_eof_member, 16);
    ftf__log_put16(h + 16, member_size - 1);
}

/* True when the 16 bytes at `p` are a BGZF header up to BSIZE: gzip magic,
 * deflate, FLG exactly FEXTRA (so the deflate data starts at byte 18), and the
 * BC subfield alone in a 6-byte extra field (htslib's check). Other gzip
 * headers are read as foreign members. */
static inline int ftf__log_is_bgzf_header(const uint8_t *p) {
    return p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08 && p[3] == 0x04 && p[10] == 6 && p[11] == 0 && p[12] == 'B' &&
           p[13] == 'C' && p[14] == 2 && p[15] == 0;
}

/* True when the 4 bytes at `p` start a gzip member (magic, deflate, no
 * reserved flag bit). */
static inline int ftf__log_is_gzip_start(const uint8_t *p) {
    return p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08 && !(p[3] & 0xe0);
}

#endif
