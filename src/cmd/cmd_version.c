/*
 * `raygate version`.
 */
#include "raygate/cmd.h"

#include "raygate/buf.h"
#include "raygate/version.h"

#include <stdio.h>
#include <string.h>

int cmd_version_main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: raygate version\n\nPrints raygate's version and the run-time versions of "
             "the libraries it links.");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "raygate version: unexpected argument \"%s\"\nusage: raygate version\n",
                argv[1]);
        return 2;
    }
    rg_buf_t b = RG_BUF_INIT;
    rg_version_report(&b);
    fputs(b.data, stdout);
    rg_buf_release(&b);
    return 0;
}
