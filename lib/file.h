/* Small file helpers: whole-file reads, directory trees. */
#ifndef XCNI_FILE_H
#define XCNI_FILE_H

#include <stddef.h>
#include <stdio.h>

int file_read_all(const char *path, char **out, size_t max);
int file_read_stream(FILE *f, char **out, size_t max, size_t *len);
int file_mkdir_p(const char *path, unsigned int mode);
int file_write_str(const char *path, const char *s);

#endif
