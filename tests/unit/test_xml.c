#include "base/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "base/xml.h"
#include "base/err.h"

static struct xml_doc *parse_ok(const char *text)
{
    struct xml_doc *doc = NULL;
    int rc = xml_parse(&doc, text, strlen(text), "t.xml", NULL);
    if (rc != 0)
        fail_msg("parse failed: %s", err_msg());
    assert_non_null(doc);
    assert_non_null(doc->root);
    return doc;
}

/* Parses `text` expecting failure `kind` with a message containing `needle`. */
static void parse_fails(const char *text, size_t len, int kind, const char *needle)
{
    struct xml_doc *doc = NULL;
    int rc = xml_parse(&doc, text, len, "t.xml", NULL);
    if (rc != kind)
        fail_msg("expected %d for '%s', got %d (%s)", kind, text, rc, err_msg());
    assert_null(doc);
    if (!strstr(err_msg(), needle))
        fail_msg("message '%s' lacks '%s'", err_msg(), needle);
}

static void test_basic_tree(void **state)
{
    (void)state;
    struct xml_doc *doc = parse_ok("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                   "<!-- hi -->\n"
                                   "<Root xmlns=\"urn:a\" id='7'>\n"
                                   "  <A>one</A>\n"
                                   "  <B/>\n"
                                   "  <A>two</A>\n"
                                   "</Root>\n<?pi data?>\n");
    const struct xml_node *root = doc->root;
    assert_string_equal(root->name, "Root");
    assert_int_equal(root->child_count, 3);
    assert_int_equal(root->line, 3);
    assert_int_equal(root->column, 1);
    assert_string_equal(xml_attr_find(root, "id")->value, "7");
    assert_string_equal(xml_node_namespace(root), "urn:a");
    const struct xml_node *a = xml_child(root, "A");
    assert_string_equal(a->text, "one");
    assert_int_equal(a->line, 4);
    assert_int_equal(a->column, 3);
    assert_ptr_equal(a->parent, root);
    const struct xml_node *b = xml_child(root, "B");
    assert_string_equal(b->text, "");
    assert_int_equal(b->text_len, 0);
    const struct xml_node *a2 = xml_next_named(a);
    assert_string_equal(a2->text, "two");
    assert_null(xml_next_named(a2));
    assert_null(xml_child(root, "C"));
    assert_string_equal(xml_node_namespace(a), "urn:a");
    xml_doc_free(doc);
}

static void test_entities_and_references(void **state)
{
    (void)state;
    struct xml_doc *doc =
        parse_ok("<a t=\"&lt;&gt;&amp;&apos;&quot;&#65;&#x263A;\">&lt;x&gt; &amp; &#x1F600;"
                 "<![CDATA[<raw & ]]>&#13;</a>");
    assert_string_equal(doc->root->text, "<x> & \xf0\x9f\x98\x80<raw & \r");
    assert_string_equal(xml_attr_find(doc->root, "t")->value, "<>&'\"A\xe2\x98\xba");
    xml_doc_free(doc);
}

static void test_line_endings_and_attr_normalisation(void **state)
{
    (void)state;
    struct xml_doc *doc = parse_ok("<a v=\"x\ty\r\nz\">l1\r\nl2\rl3<![CDATA[c\r\nd]]></a>");
    assert_string_equal(doc->root->text, "l1\nl2\nl3c\nd");
    assert_string_equal(xml_attr_find(doc->root, "v")->value, "x y z");
    xml_doc_free(doc);
}

static void test_mixed_content_concatenates(void **state)
{
    (void)state;
    struct xml_doc *doc = parse_ok("<a>x<b>in</b>y<!-- c -->z<?p?></a>");
    assert_string_equal(doc->root->text, "xyz");
    assert_string_equal(doc->root->first_child->text, "in");
    xml_doc_free(doc);
}

static void test_namespaces(void **state)
{
    (void)state;
    struct xml_doc *doc = parse_ok("<s3:R xmlns:s3=\"urn:s3\" xmlns:x=\"urn:x\">"
                                   "<s3:K x:attr=\"1\">k</s3:K><L xml:lang=\"en\"/></s3:R>");
    const struct xml_node *root = doc->root;
    assert_string_equal(root->name, "s3:R");
    assert_string_equal(root->local_name, "R");
    assert_int_equal(root->prefix_len, 2);
    assert_string_equal(xml_node_namespace(root), "urn:s3");
    const struct xml_node *k = xml_child(root, "K");
    assert_non_null(k);
    assert_string_equal(xml_node_namespace(k), "urn:s3");
    assert_non_null(xml_attr_find(k, "x:attr"));
    assert_null(xml_node_namespace(xml_child(root, "L")));
    assert_string_equal(xml_namespace_lookup(k, "x", 1), "urn:x");
    assert_null(xml_namespace_lookup(k, "y", 1));
    xml_doc_free(doc);

    /* A prefix goes out of scope with its element, also an empty one. */
    static const char scoped1[] = "<r><a xmlns:p=\"urn:p\"/><p:b/></r>";
    static const char scoped2[] = "<r><a xmlns:p=\"urn:p\"><p:c/></a><p:b/></r>";
    parse_fails(scoped1, sizeof(scoped1) - 1, ERR_INVALID, "prefix 'p' is not declared");
    parse_fails(scoped2, sizeof(scoped2) - 1, ERR_INVALID, "prefix 'p' is not declared");
    doc = parse_ok("<r xmlns:p=\"urn:p\"><a xmlns:p=\"urn:q\"/><p:b/></r>");
    xml_doc_free(doc);

    /* Declarations are bounded per document, so prefix checks stay cheap. */
    struct buf many = BUF_INIT;
    buf_adds(&many, "<r>");
    for (int i = 0; i <= XML_MAX_NS_DECLS; i++)
        buf_addf(&many, "<a xmlns:p%d=\"urn:%d\"/>", i, i);
    buf_adds(&many, "</r>");
    struct xml_doc *d2 = NULL;
    assert_int_equal(xml_parse(&d2, many.data, many.len, "t", NULL), ERR_LIMIT);
    assert_non_null(strstr(err_msg(), "namespace prefixes"));
    buf_release(&many);
}

static void test_rejects_doctype_and_entities(void **state)
{
    (void)state;
    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM "
                      "\"file:///etc/passwd\">]><a>&x;</a>";
    parse_fails(xxe, strlen(xxe), ERR_INVALID, "DOCTYPE declarations are not allowed");
    const char *laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
                         "\"&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>";
    parse_fails(laughs, strlen(laughs), ERR_INVALID, "t.xml:1:1: DOCTYPE");
    parse_fails("<a><!ENTITY x \"y\"></a>", 21, ERR_INVALID, "markup declarations");
    parse_fails("<a>&x;</a>", 10, ERR_INVALID, "undefined entity '&x;'");
    parse_fails("<a>a & b</a>", 12, ERR_INVALID, "'&' must be written as '&amp;'");
    parse_fails("<a>&#0;</a>", 11, ERR_INVALID, "is not a character XML allows");
    parse_fails("<a>&#xD800;</a>", 15, ERR_INVALID, "is not a character XML allows");
    parse_fails("<a>&#x110000;</a>", 17, ERR_INVALID, "is not a character XML allows");
    parse_fails("<a>&#99999999999999999999;</a>", 30, ERR_INVALID, "XML allows");
    parse_fails("<a>&#;</a>", 10, ERR_INVALID, "malformed character reference");
}

static void test_positions_in_errors(void **state)
{
    (void)state;
    parse_fails("<a>\n  <b></c>\n</a>", 18, ERR_INVALID,
                "t.xml:2:6: end tag 'c' does not match start tag 'b' at 2:3");
    parse_fails("<a>\n\xc3\xa9\xc3\xa9<</a>", 13, ERR_INVALID, "t.xml:2:4: expected element name");
    parse_fails("<a>", 3, ERR_INVALID, "t.xml:1:4: element 'a' is not closed");
    parse_fails("<a x=\"1\" x=\"2\"/>", 16, ERR_INVALID, "t.xml:1:10: duplicate attribute 'x'");
}

static void test_rejects_malformed(void **state)
{
    (void)state;
    parse_fails("", 0, ERR_INVALID, "no root element");
    parse_fails("   ", 3, ERR_INVALID, "no root element");
    parse_fails("text", 4, ERR_INVALID, "expected '<' to start the root element");
    parse_fails("<a/><b/>", 8, ERR_INVALID, "content after the root element");
    parse_fails("<a/>junk", 8, ERR_INVALID, "content after the root element");
    parse_fails("<a x=1/>", 8, ERR_INVALID, "expected a quoted attribute value");
    parse_fails("<a x=\"<\"/>", 10, ERR_INVALID, "'<' is not allowed in an attribute value");
    parse_fails("<a x=\"1\"y=\"2\"/>", 15, ERR_INVALID, "expected whitespace");
    parse_fails("<a>]]></a>", 10, ERR_INVALID, "']]>' is not allowed");
    parse_fails("<a><!-- a -- b --></a>", 22, ERR_INVALID, "'--' is not allowed");
    parse_fails("<a><!-- x</a>", 13, ERR_INVALID, "comment is not closed");
    parse_fails("<a><![CDATA[x</a>", 17, ERR_INVALID, "CDATA section is not closed");
    parse_fails("<a><?xml version=\"1.0\"?></a>", 28, ERR_INVALID, "XML declaration is only");
    parse_fails(" <?xml version=\"1.0\"?><a/>", 26, ERR_INVALID, "XML declaration is only");
    parse_fails("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", 47, ERR_INVALID,
                "unsupported encoding 'ISO-8859-1'");
    parse_fails("<?xml version=\"2.0\"?><a/>", 25, ERR_INVALID, "unsupported XML version");
    parse_fails("<1a/>", 5, ERR_INVALID, "expected element name");
    parse_fails("<:a/>", 5, ERR_INVALID, "expected element name");
    parse_fails("<a:b:c/>", 8, ERR_INVALID, "more than one ':'");
    parse_fails("<p:a/>", 6, ERR_INVALID, "namespace prefix 'p' is not declared");
    parse_fails("<a p:x=\"1\"/>", 12, ERR_INVALID, "namespace prefix 'p' is not declared");
    parse_fails("<a xmlns:p=\"\"/>", 15, ERR_INVALID, "bound to ''");
    struct xml_doc *doc = parse_ok("<a ></a >");
    assert_string_equal(doc->root->name, "a");
    xml_doc_free(doc);
}

static void test_rejects_bad_characters(void **state)
{
    (void)state;
    parse_fails("<a>\xff</a>", 8, ERR_INVALID, "invalid UTF-8 byte 0xff");
    parse_fails("<a>\xc0\x80</a>", 9, ERR_INVALID, "invalid UTF-8");
    parse_fails("<a>\xed\xa0\x80</a>", 10, ERR_INVALID, "invalid UTF-8");
    parse_fails("<a>\x01</a>", 8, ERR_INVALID, "character U+0001 is not allowed");
    parse_fails("<a>\xef\xbf\xbf</a>", 10, ERR_INVALID, "character U+FFFF is not allowed");
    parse_fails("<a>x\0y</a>", 10, ERR_INVALID, "character U+0000 is not allowed");
    parse_fails("<a x=\"\x02\"/>", 10, ERR_INVALID, "U+0002");
    parse_fails("<a><!-- \x02 --></a>", 17, ERR_INVALID, "U+0002");
    parse_fails("\xff\xfe<\0a\0/\0>\0", 10, ERR_INVALID, "UTF-16 is not supported");
    struct xml_doc *doc = parse_ok("\xef\xbb\xbf<a>\xe2\x82\xac</a>");
    assert_string_equal(doc->root->text, "\xe2\x82\xac");
    xml_doc_free(doc);
}

static void test_limits(void **state)
{
    (void)state;
    struct buf deep = BUF_INIT;
    for (int i = 0; i < 65; i++)
        buf_adds(&deep, "<a>");
    for (int i = 0; i < 65; i++)
        buf_adds(&deep, "</a>");
    parse_fails(deep.data, deep.len, ERR_LIMIT, "nested deeper than 64");
    /* 64 levels are fine. */
    struct xml_doc *doc = NULL;
    assert_int_equal(xml_parse(&doc, deep.data + 3, deep.len - 7, "t", NULL), 0);
    xml_doc_free(doc);

    struct xml_limits lim = xml_default_limits;
    lim.max_elements = 3;
    const char *four = "<a><b/><c/><d/></a>";
    assert_int_equal(xml_parse(&doc, four, strlen(four), "t", &lim), ERR_LIMIT);
    assert_non_null(strstr(err_msg(), "more than 3 elements"));

    lim = xml_default_limits;
    lim.max_size = 10;
    assert_int_equal(xml_parse(&doc, four, strlen(four), "t", &lim), ERR_LIMIT);
    assert_non_null(strstr(err_msg(), "exceed the limit of 10"));

    lim = xml_default_limits;
    lim.max_attrs = 2;
    const char *attrs = "<a x=\"1\" y=\"2\" z=\"3\"/>";
    assert_int_equal(xml_parse(&doc, attrs, strlen(attrs), "t", &lim), ERR_LIMIT);
    assert_non_null(strstr(err_msg(), "more than 2 attributes"));

    lim = xml_default_limits;
    lim.max_name_len = 4;
    assert_int_equal(xml_parse(&doc, "<abcdef/>", 9, "t", &lim), ERR_LIMIT);
    assert_non_null(strstr(err_msg(), "longer than 4 bytes"));

    /* A request for more depth than the ceiling gets the ceiling. */
    lim = xml_default_limits;
    lim.max_depth = 1000;
    assert_int_equal(xml_parse(&doc, deep.data, deep.len, "t", &lim), ERR_LIMIT);
    buf_release(&deep);
}

static void test_big_text_many_segments(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_adds(&b, "<a>");
    for (int i = 0; i < 20000; i++)
        buf_adds(&b, "x&amp;<!---->");
    buf_adds(&b, "</a>");
    struct xml_doc *doc = parse_ok(b.data);
    assert_int_equal(doc->root->text_len, 40000);
    xml_doc_free(doc);
    buf_release(&b);
}

static void test_escape(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    const char text[] = "a<b>&c\"'\r\n\t\x01\xff\xef\xbf\xbf\xe2\x82\xac";
    xml_escape_text(&out, text, sizeof(text) - 1);
    assert_string_equal(out.data, "a&lt;b&gt;&amp;c\"'&#xD;\n\t\xef\xbf\xbd\xef\xbf\xbd"
                                  "\xef\xbf\xbd\xe2\x82\xac");
    buf_reset(&out);
    xml_escape_attr(&out, text, sizeof(text) - 1);
    assert_string_equal(out.data, "a&lt;b&gt;&amp;c&quot;'&#xD;&#xA;&#x9;\xef\xbf\xbd"
                                  "\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac");
    buf_release(&out);
}

static void test_writer_round_trip(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    struct xml_writer w;
    xml_writer_init(&w, &out);
    xml_writer_declaration(&w);
    xml_writer_start(&w, "Root");
    xml_writer_attr(&w, "xmlns", "urn:x", 5);
    xml_writer_attr(&w, "v", "a\tb\nc\"", 6);
    xml_writer_element(&w, "Text", "x\r\ny <&>", 8);
    xml_writer_element(&w, "Empty", "", 0);
    xml_writer_start(&w, "Nested");
    xml_writer_element(&w, "In", "1", 1);
    xml_writer_finish(&w);
    xml_writer_release(&w);
    assert_string_equal(out.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                  "<Root xmlns=\"urn:x\" v=\"a&#x9;b&#xA;c&quot;\">"
                                  "<Text>x&#xD;\ny &lt;&amp;&gt;</Text><Empty/>"
                                  "<Nested><In>1</In></Nested></Root>");
    struct xml_doc *doc = parse_ok(out.data);
    assert_string_equal(xml_attr_find(doc->root, "v")->value, "a\tb\nc\"");
    assert_string_equal(xml_child(doc->root, "Text")->text, "x\r\ny <&>");
    xml_doc_free(doc);
    buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_tree),
        cmocka_unit_test(test_entities_and_references),
        cmocka_unit_test(test_line_endings_and_attr_normalisation),
        cmocka_unit_test(test_mixed_content_concatenates),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_rejects_doctype_and_entities),
        cmocka_unit_test(test_positions_in_errors),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_rejects_bad_characters),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_big_text_many_segments),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_writer_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
