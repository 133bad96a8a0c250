/*
 * libFuzzer target for the XML parser (src/base/xml.c). Beyond not
 * crashing, every document that parses must survive a round trip through
 * the writer: written out and parsed again, it gives the same tree.
 */
#include "base/common.h"
#include "base/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_node(struct xml_writer *w, const struct xml_node *node)
{
    xml_writer_start(w, node->name);
    for (uint32_t i = 0; i < node->attr_count; i++)
        xml_writer_attr(w, node->attrs[i].name, node->attrs[i].value, node->attrs[i].value_len);
    xml_writer_text(w, node->text, node->text_len);
    for (const struct xml_node *c = node->first_child; c; c = c->next)
        write_node(w, c);
    xml_writer_end(w);
}

static void check_same(const struct xml_node *a, const struct xml_node *b)
{
    if (strcmp(a->name, b->name) != 0 || strcmp(a->local_name, b->local_name) != 0 ||
        a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0 ||
        a->attr_count != b->attr_count || a->child_count != b->child_count)
        abort();
    for (uint32_t i = 0; i < a->attr_count; i++)
        if (strcmp(a->attrs[i].name, b->attrs[i].name) != 0 ||
            a->attrs[i].value_len != b->attrs[i].value_len ||
            memcmp(a->attrs[i].value, b->attrs[i].value, a->attrs[i].value_len) != 0)
            abort();
    const struct xml_node *ca = a->first_child, *cb = b->first_child;
    for (; ca && cb; ca = ca->next, cb = cb->next)
        check_same(ca, cb);
    if (ca || cb)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xml_doc *doc = NULL;
    if (xml_parse(&doc, (const char *)data, size, "fuzz", NULL) < 0)
        return 0;

    struct buf out = BUF_INIT;
    struct xml_writer w;
    xml_writer_init(&w, &out);
    write_node(&w, doc->root);
    xml_writer_release(&w);

    struct xml_limits lim = xml_default_limits;
    lim.max_size = SIZE_MAX;
    struct xml_doc *again = NULL;
    if (xml_parse(&again, out.data, out.len, "round trip", &lim) < 0) {
        fprintf(stderr, "round trip failed to parse:\n%s\n", out.data);
        abort();
    }
    check_same(doc->root, again->root);
    xml_doc_free(again);
    xml_doc_free(doc);
    buf_release(&out);
    return 0;
}
