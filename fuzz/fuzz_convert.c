/*
 * libFuzzer target over POST /convert: a ConversionReview in, the answer
 * (or a refusal) out. Input: one request body.
 */
#include "raygate/buf.h"
#include "raygate/convert.h"
#include "raygate/err.h"
#include "raygate/json.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rg_json_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_buf_t out = RG_BUF_INIT;
    rg_error_t err = {0};
    (void)convert_review_handle((const char *)data, size, &out, &err);
    rg_buf_release(&out);
    return 0;
}
