/* embed.c - build-time tool: writes a file's bytes as a C string constant, so that the
 * hebb binary carries its default model. Usage: embed INPUT OUTPUT.c SYMBOL */
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: embed INPUT OUTPUT.c SYMBOL\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  if (!in) {
    perror(argv[1]);
    return 1;
  }
  FILE *out = fopen(argv[2], "w");
  if (!out) {
    perror(argv[2]);
    fclose(in);
    return 1;
  }
  fprintf(out, "/* generated from %s by embed; do not edit */\n#include <stddef.h>\n", argv[1]);
  fprintf(out, "const char %s[] = {", argv[3]);
  size_t n = 0;
  int c;
  while ((c = fgetc(in)) != EOF)
    fprintf(out, "%s%d,", n++ % 16 ? "" : "\n  ", c);
  fprintf(out, "\n  0};\nconst size_t %s_len = %zu;\n", argv[3], n);
  int bad = ferror(in) || fclose(out) != 0;
  fclose(in);
  return bad ? 1 : 0;
}
