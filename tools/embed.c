/*
** embed.c: build-time tool.  Reads one file and writes a C source defining
**   const unsigned char embed_<name>[];  const size_t embed_<name>_len;
** where <name> is the file's base name with every non-alphanumeric
** character turned into '_' (src/demo/posture.json -> embed_posture_json).
** The array is NUL-terminated (not counted in _len) so text can be used
** as a C string.  Usage: embed FILE > FILE.c
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: embed FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	const char *base = strrchr(argv[1], '/');
	base = base ? base + 1 : argv[1];
	char name[256];
	size_t n = 0;
	for (; base[n] && n < sizeof(name) - 1; n++)
		name[n] = isalnum((unsigned char)base[n]) ? base[n] : '_';
	name[n] = '\0';

	printf("#include <stddef.h>\nconst unsigned char embed_%s[] = {\n", name);
	size_t len = 0;
	int c;
	while ((c = getc(f)) != EOF) {
		printf("%d,%s", c, (++len % 20) ? "" : "\n");
	}
	printf("0};\nconst size_t embed_%s_len = %zu;\n", name, len);
	int bad = ferror(f);
	fclose(f);
	return bad ? 1 : 0;
}
