/* fsutil.h - small file-system helpers shared by io/ (output.c) and the command-line tool. */
#ifndef HEBB_IO_FSUTIL_H
#define HEBB_IO_FSUTIL_H

/* mkdir -p: creates PATH and its missing parents; 0, or -1 with errno (ENOTDIR when PATH
 * exists but is not a directory). */
int hebb__make_dirs(const char *path);

#endif
