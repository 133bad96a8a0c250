/*
 * Replays a libFuzzer target's corpus as an ordinary test: every file in the
 * corpus directory is fed to LLVMFuzzerTestOneInput once. Under the
 * sanitizer build a crash or leak fails the run. Prints TAP.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "base/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        fprintf(stderr, "error: cannot open corpus '%s': %s\n", argv[1], strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t count = 0, alloc = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        if (count == alloc) {
            alloc = alloc ? alloc * 2 : 64;
            names = realloc(names, alloc * sizeof(*names));
            if (!names)
                abort();
        }
        names[count++] = strdup(de->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof(*names), compare_names);

    printf("1..%zu\n", count);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("not ok %zu - %s: %s\n", ++n, names[i], strerror(errno));
            continue;
        }
        struct stat st;
        fstat(fileno(f), &st);
        uint8_t *data = malloc((size_t)st.st_size + 1);
        size_t len = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        LLVMFuzzerTestOneInput(data, len);
        free(data);
        printf("ok %zu - %s\n", ++n, names[i]);
        free(names[i]);
    }
    free(names);
    return 0;
}
