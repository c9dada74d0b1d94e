/* A test program of the library beside fastsum.c: a process of its own, never imported. */
#include <stdio.h>

static int runs;  // expect-not: SI010
static const char *last_name;  // expect-not: SI010

static void
record(const char *name)
{
    runs++;
    last_name = name;
}

int
main(int argc, char **argv)
{
    record(argc > 1 ? argv[1] : "default");
    printf("%d %s\n", runs, last_name);
    return 0;
}
