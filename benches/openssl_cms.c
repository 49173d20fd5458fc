/*
 * The OpenSSL side of the per-signature targets, measured in-process with libcrypto (no
 * process start-up): CMS sign and verify of one document, and the raw ECDSA P-256 primitives.
 * Built and run by benches/compare.sh:
 *
 *   cc -O2 -o openssl_cms benches/openssl_cms.c -lcrypto
 *   ./openssl_cms CERT KEY PASS CHAIN ROOT CRLS DOC
 *
 * CERT/KEY: the signer (key PEM, encrypted with PASS); CHAIN: intermediates (PEM bundle, the
 * root is dropped from the signature by OpenSSL only if not given, so pass the issuing CA
 * alone); ROOT: the trust anchor; CRLS: PEM CRLs for the whole chain; DOC: the document.
 *
 * Prints one line per measurement: `name microseconds_per_op` (median of 5 rounds), in process
 * CPU time unless KYSO_BENCH_CLOCK=wall.
 * Sign: CMS_sign with CMS_DETACHED | CMS_BINARY | CMS_CADES (signingCertificateV2, as kyso)
 * | CMS_NOSMIMECAP (kyso writes no SMIMECapabilities), output as DER.
 * Verify: d2i of the DER signature, then CMS_verify against an X509_STORE holding the root,
 * with and without the CRLs (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL), purpose any.
 * The store is built once, like kyso's Verifier; OpenSSL caches no path result between calls.
 */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5

/* Process CPU time, like kyso's criterion benches (benches/common/clock.rs): the machine is
 * shared, and wall time would measure the scheduler. KYSO_BENCH_CLOCK=wall for wall time. */
static clockid_t clock_id = CLOCK_PROCESS_CPUTIME_ID;

static double now(void) {
    struct timespec t;
    clock_gettime(clock_id, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "openssl_cms: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef int (*op_fn)(void *);

/* Median over ROUNDS rounds of the per-operation time (µs), each round lasting ~0.2 s. */
static double measure(op_fn f, void *ctx) {
    int n = 1;
    for (;;) { /* calibrate */
        double t0 = now();
        for (int i = 0; i < n; i++)
            if (!f(ctx)) die("operation failed");
        if (now() - t0 > 0.2) break;
        n *= 2;
    }
    double r[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        double t0 = now();
        for (int i = 0; i < n; i++)
            if (!f(ctx)) die("operation failed");
        r[k] = (now() - t0) * 1e6 / n;
    }
    qsort(r, ROUNDS, sizeof r[0], cmp);
    return r[ROUNDS / 2];
}

struct state {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) *chain;
    X509_STORE *store, *store_crl;
    unsigned char *doc;
    long doc_len;
    unsigned char *sig;
    long sig_len;
    unsigned char raw_sig[128];
    size_t raw_sig_len;
};

static int op_sign(void *p) {
    struct state *s = p;
    BIO *in = BIO_new_mem_buf(s->doc, (int)s->doc_len);
    CMS_ContentInfo *cms = CMS_sign(s->cert, s->key, s->chain, in, CMS_DETACHED | CMS_BINARY | CMS_CADES | CMS_NOSMIMECAP);
    unsigned char *der = NULL;
    int len = cms ? i2d_CMS_ContentInfo(cms, &der) : -1;
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return len > 0;
}

static int verify_with(struct state *s, X509_STORE *store) {
    const unsigned char *p = s->sig;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, s->sig_len);
    BIO *content = BIO_new_mem_buf(s->doc, (int)s->doc_len);
    int ok = cms && CMS_verify(cms, NULL, store, content, NULL, CMS_BINARY) == 1;
    CMS_ContentInfo_free(cms);
    BIO_free(content);
    return ok;
}

static int op_verify_crl(void *p) { return verify_with(p, ((struct state *)p)->store_crl); }

/* CMS_verify on an already parsed signature (the certificates decoded once): OpenSSL's cost
 * without d2i, a lower bound that no per-file run gets. */
static CMS_ContentInfo *preparsed;
static int op_verify_crl_preparsed(void *p) {
    struct state *s = p;
    BIO *content = BIO_new_mem_buf(s->doc, (int)s->doc_len);
    int ok = CMS_verify(preparsed, NULL, s->store_crl, content, NULL, CMS_BINARY) == 1;
    BIO_free(content);
    return ok;
}
static int op_verify_chain(void *p) { return verify_with(p, ((struct state *)p)->store); }

static int op_raw_sign(void *p) {
    struct state *s = p;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    s->raw_sig_len = sizeof s->raw_sig;
    int ok = EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, s->key) == 1 &&
             EVP_DigestSign(c, s->raw_sig, &s->raw_sig_len, s->doc, s->doc_len) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}

static int op_raw_verify(void *p) {
    struct state *s = p;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_PKEY *pub = X509_get0_pubkey(s->cert);
    int ok = EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pub) == 1 &&
             EVP_DigestVerify(c, s->raw_sig, s->raw_sig_len, s->doc, s->doc_len) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}

static unsigned char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len ? *len : 1);
    if (fread(b, 1, *len, f) != (size_t)*len) die(path);
    fclose(f);
    return b;
}

static X509_STORE *make_store(const char *root, const char *crls) {
    X509_STORE *st = X509_STORE_new();
    X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());
    if (X509_LOOKUP_load_file(lu, root, X509_FILETYPE_PEM) != 1) die("root");
    if (crls) {
        if (X509_load_crl_file(lu, crls, X509_FILETYPE_PEM) < 1) die("crls");
        X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    X509_STORE_set_purpose(st, X509_PURPOSE_ANY);
    return st;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s CERT KEY PASS CHAIN ROOT CRLS DOC\n", argv[0]);
        return 2;
    }
    struct state s = {0};
    const char *clk = getenv("KYSO_BENCH_CLOCK");
    if (clk && strcmp(clk, "wall") == 0) clock_id = CLOCK_MONOTONIC;
    FILE *f = fopen(argv[1], "r");
    if (!f || !(s.cert = PEM_read_X509(f, NULL, NULL, NULL))) die("cert");
    fclose(f);
    f = fopen(argv[2], "r");
    if (!f || !(s.key = PEM_read_PrivateKey(f, NULL, NULL, argv[3]))) die("key");
    fclose(f);
    s.chain = sk_X509_new_null();
    f = fopen(argv[4], "r");
    if (!f) die("chain");
    X509 *c;
    while ((c = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        /* the root stays out of the signature, as kyso does */
        if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) != 0) sk_X509_push(s.chain, c);
        else X509_free(c);
    }
    ERR_clear_error();
    fclose(f);
    s.store = make_store(argv[5], NULL);
    s.store_crl = make_store(argv[5], argv[6]);
    s.doc = slurp(argv[7], &s.doc_len);

    /* One signature to verify. */
    BIO *in = BIO_new_mem_buf(s.doc, (int)s.doc_len);
    CMS_ContentInfo *cms = CMS_sign(s.cert, s.key, s.chain, in, CMS_DETACHED | CMS_BINARY | CMS_CADES | CMS_NOSMIMECAP);
    if (!cms) die("CMS_sign");
    unsigned char *der = NULL;
    s.sig_len = i2d_CMS_ContentInfo(cms, &der);
    s.sig = der;
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    if (!op_verify_crl(&s)) die("CMS_verify with CRLs");
    if (!op_raw_sign(&s) || !op_raw_verify(&s)) die("raw ECDSA");

    printf("openssl_cms_sign %.2f\n", measure(op_sign, &s));
    printf("openssl_cms_verify_chain_crl %.2f\n", measure(op_verify_crl, &s));
    printf("openssl_cms_verify_chain %.2f\n", measure(op_verify_chain, &s));
    const unsigned char *p = s.sig;
    if (!(preparsed = d2i_CMS_ContentInfo(NULL, &p, s.sig_len))) die("d2i");
    printf("openssl_cms_verify_chain_crl_preparsed %.2f\n", measure(op_verify_crl_preparsed, &s));
    printf("openssl_ecdsa_p256_sign %.2f\n", measure(op_raw_sign, &s));
    printf("openssl_ecdsa_p256_verify %.2f\n", measure(op_raw_verify, &s));
    return 0;
}
