#!/bin/sh
# Generates the fixed fuzzing fixture (fuzz/fixtures/) and the seed corpora (fuzz/seeds/<target>/)
# from kyso's own output and OpenSSL's. Run once from the repository root after `cargo build`:
#   sh fuzz/make-seeds.sh
# The outputs are committed: the `verify` target embeds fixtures/ with include_bytes!, so they must
# not change between runs (regenerate only deliberately; the validation time in the `verify` target,
# 2027-01-01, must stay inside the certificates' validity).
set -eu
KYSO=${KYSO:-$PWD/target/debug/kyso}
EX=$PWD/certs-example
F=$PWD/fuzz/fixtures
S=$PWD/fuzz/seeds
export KYSO_PASSPHRASE=$(head -n1 "$EX/passphrase.txt")
rm -rf "$F"   # seeds/ is overwritten file by file (the PAdES seeds below are kept)
mkdir -p "$F" "$S/p7s_parse" "$S/verify" "$S/objects" "$S/keys" "$S/pdf" "$S/tsp" "$S/pkcs12"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Fixture: the example root (anchor), chain, two signers of one document.
U=$EX/units/van-phong-ubnd
openssl x509 -in "$EX/root.pem" -outform DER -out "$F/anchor.der"
cp "$EX/chain.pem" "$F/chain.pem"
printf 'Công văn số 123/UBND-VP\nKính gửi: Sở Y tế tỉnh Bắc Ninh\n' > "$F/document.txt"
cp "$F/document.txt" "$T/doc"
"$KYSO" sign --cert "$U/person.pem" --key "$U/person.key" --chain "$EX/chain.pem" --out "$T/one.p7s" "$T/doc"
cp "$T/one.p7s" "$T/doc.p7s"
"$KYSO" sign --add --cert "$U/agency.pem" --key "$U/agency.key" --chain "$EX/chain.pem" "$T/doc"
cp "$T/one.p7s" "$F/single.p7s"
cp "$T/doc.p7s" "$F/double.p7s"

# p7s / verify seeds: kyso's single and double signer, OpenSSL's DER, BER (-stream) and PEM.
openssl pkcs8 -in "$U/person.key" -passin env:KYSO_PASSPHRASE -out "$T/person-plain.key"
openssl cms -sign -binary -outform DER -md sha256 -cades -signer "$U/person.pem" -inkey "$T/person-plain.key" \
  -certfile "$EX/chain.pem" -in "$T/doc" -out "$T/openssl.p7s"
openssl cms -sign -binary -stream -outform DER -md sha256 -signer "$U/person.pem" -inkey "$T/person-plain.key" \
  -certfile "$EX/chain.pem" -in "$T/doc" -out "$T/openssl-ber.p7s"
openssl cms -sign -binary -outform PEM -md sha256 -nodetach -signer "$U/person.pem" -inkey "$T/person-plain.key" \
  -in "$T/doc" -out "$T/openssl-attached.pem"
for f in single.p7s double.p7s openssl.p7s openssl-ber.p7s openssl-attached.pem; do
  src="$T/$f"; [ -f "$src" ] || src="$F/$f"
  cp "$src" "$S/p7s_parse/$f"; cp "$src" "$S/verify/$f"
done

# objects seeds: certificates, chains, CRLs, CSRs in PEM and DER (kyso's and OpenSSL's).
cp "$EX/root.pem" "$EX/chain.pem" "$EX/crl.pem" "$U/person.pem" "$S/objects/"
openssl x509 -in "$U/agency.pem" -outform DER -out "$S/objects/agency.der"
openssl crl -in "$EX/crl.pem" -outform DER -out "$S/objects/crl.der"
"$KYSO" csr new --key "$U/person.key" --cn "Nguyễn Văn An" --org "Văn phòng UBND tỉnh Bắc Ninh" --out "$S/objects/kyso.csr"
openssl req -new -key "$T/person-plain.key" -subj "/CN=OpenSSL CSR/O=Test" -out "$S/objects/openssl.csr"
openssl req -in "$S/objects/openssl.csr" -outform DER -out "$S/objects/openssl-csr.der"

# keys seeds: low PBKDF2 iteration counts so that each execution stays fast (passphrase "fuzz").
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/keys/p256-plain.pem"
openssl pkcs8 -topk8 -in "$S/keys/p256-plain.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 1 \
  -passout pass:fuzz -out "$S/keys/p256-pbkdf2-1.pem"
openssl pkcs8 -topk8 -in "$S/keys/p256-plain.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 1 \
  -passout pass:fuzz -outform DER -out "$S/keys/p256-pbkdf2-1.der"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -outform DER -out "$S/keys/p384-plain.der"
openssl ec -in "$S/keys/p256-plain.pem" -out "$S/keys/p256-sec1.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$S/keys/ed25519.pem"
openssl genrsa -traditional -out "$S/keys/rsa1024-pkcs1.pem" 1024 2>/dev/null

# pkcs12 seeds: OpenSSL's layouts with 1 iteration (password "fuzz", one with the empty password):
# PBES2/AES with an HMAC-SHA-256, -legacy (RC2-40, 3DES, HMAC-SHA-1), no MAC, unencrypted bags,
# certificates only.
openssl req -x509 -new -key "$S/keys/p256-plain.pem" -subj "/CN=fuzz" -days 3650 -out "$T/fuzz.pem"
P12="pkcs12 -export -inkey $S/keys/p256-plain.pem -in $T/fuzz.pem -name fuzz -iter 1"
openssl $P12 -passout pass:fuzz -out "$S/pkcs12/aes.p12"
openssl $P12 -legacy -passout pass:fuzz -out "$S/pkcs12/legacy.p12"
openssl $P12 -nomac -passout pass:fuzz -out "$S/pkcs12/nomac.p12"
openssl $P12 -keypbe NONE -certpbe NONE -passout pass:fuzz -out "$S/pkcs12/plain.p12"
openssl $P12 -passout pass: -out "$S/pkcs12/empty-password.p12"
openssl pkcs12 -export -nokeys -in "$T/fuzz.pem" -iter 1 -passout pass:fuzz -out "$S/pkcs12/certs-only.p12"

# pdf seeds: the example PDFs, and one signed by kyso.
cp "$EX/pdf/cong-van.pdf" "$EX/pdf/cong-van-xref-stream.pdf" "$S/pdf/"
"$KYSO" sign --pades --appearance none --cert "$U/person.pem" --key "$U/person.key" --chain "$EX/chain.pem" \
  --out "$S/pdf/signed.pdf" "$EX/pdf/cong-van.pdf" || echo "note: PAdES seed not made (no sign --pades in this CLI yet)"
# signed-once.pdf / signed-twice.pdf were made with kyso::pdf::sign (cong-van.pdf, appearance none,
# /Contents = fixtures/single.p7s, a second field "Sig2"), 2026-11-30, since the CLI had no --pades.

# tsp seeds: an OpenSSL timestamp response and query.
openssl ts -query -data "$T/doc" -sha256 -cert -out "$S/tsp/query.tsq"
cat > "$T/ts.cnf" <<CNF
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = $T/tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
CNF
echo 01 > "$T/tsaserial"
openssl pkcs8 -in "$EX/tsa/tsa.key" -passin env:KYSO_PASSPHRASE -out "$T/tsa-plain.key" 2>/dev/null || cp "$EX/tsa/tsa.key" "$T/tsa-plain.key"
openssl ts -reply -config "$T/ts.cnf" -queryfile "$S/tsp/query.tsq" -signer "$EX/tsa/tsa.pem" -inkey "$T/tsa-plain.key" \
  -chain "$EX/chain.pem" -out "$S/tsp/openssl.tsr" || echo "note: TSA seed not made"
# mail seeds: kyso's multipart/signed message (a document with its .p7s), OpenSSL's detached and
# opaque S/MIME messages, the same stored with LF line ends, and small broken structures.
mkdir -p "$S/mail"
cp "$F/document.txt" "$T/cong-van.txt"
cp "$F/double.p7s" "$T/cong-van.txt.p7s"
printf 'Kính gửi Sở Y tế,\nVăn phòng gửi kèm công văn.\n' > "$T/thu.txt"
"$KYSO" mail sign --cert "$U/agency.pem" --key "$U/agency.key" --chain "$EX/chain.pem" \
  --from 'Văn phòng UBND <vanphong@bacninh.gov.vn>' --to soyte@bacninh.gov.vn --subject 'Công văn số 123/UBND-VP' \
  --body "$T/thu.txt" --out "$S/mail/kyso.eml" --force "$T/cong-van.txt"
openssl pkcs8 -in "$U/agency.key" -passin env:KYSO_PASSPHRASE -out "$T/agency-plain.key"
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nXin chao\r\n' > "$T/plain.txt"
openssl smime -sign -in "$T/plain.txt" -signer "$U/agency.pem" -inkey "$T/agency-plain.key" -certfile "$EX/chain.pem" \
  -from vanphong@bacninh.gov.vn -to soyte@bacninh.gov.vn -subject 'Cong van' -out "$S/mail/openssl-detached.eml"
openssl smime -sign -nodetach -in "$T/plain.txt" -signer "$U/agency.pem" -inkey "$T/agency-plain.key" \
  -from vanphong@bacninh.gov.vn -to soyte@bacninh.gov.vn -subject 'Cong van' -out "$S/mail/openssl-opaque.eml"
tr -d '\r' < "$S/mail/kyso.eml" > "$S/mail/kyso-lf.eml"
printf 'From: a@b.vn\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=S\r\n\r\n--S\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\nx\r\n--S\r\n\r\ny\r\n' > "$S/mail/unclosed.eml"
printf 'From: a@b.vn\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIB\r\n' > "$S/mail/truncated-p7m.eml"
echo "fixtures in $F, seeds in $S"

# multipart (kyso web uploads): bodies written by urllib3 (an independent multipart writer), each
# seed its Content-Type, a newline, then the body.
mkdir -p "$S/multipart"
"${KYSO_PYTHON:-python3}" - "$F" "$S/multipart" <<'PY'
import sys, os
from urllib3.filepost import encode_multipart_formdata
f, out = sys.argv[1], sys.argv[2]
doc = open(os.path.join(f, "document.txt"), "rb").read()
def seed(name, fields):
    body, ct = encode_multipart_formdata(fields, boundary="kysoSeedBoundary")
    open(os.path.join(out, name), "wb").write(ct.encode() + b"\n" + body)
seed("pair-double.bin", [("files", ("document.txt", doc)), ("files", ("document.txt.p7s", open(os.path.join(f, "double.p7s"), "rb").read())), ("lang", "en")])
seed("pair-single.bin", [("files", ("document.txt", doc)), ("files", ("document.txt.p7s", open(os.path.join(f, "single.p7s"), "rb").read()))])
seed("unpaired.bin", [("files", ("a.txt", b"x")), ("files", ("b.txt.p7s", b"0\x80"))])
seed("pdf-like.bin", [("files", ("x.pdf", b"%PDF-1.7\n%%EOF\n"))])
PY

# http_head seeds: request heads as real clients send them to kyso's servers (curl GET and POST
# with Expect, Python's urllib, `openssl ocsp -url` POST, with and without its own Host header),
# captured by a listener that keeps the bytes before the empty line, plus an HTTP/1.0 head.
mkdir -p "$S/http_head"
"${KYSO_PYTHON:-python3}" - "$S/http_head" "$EX" "$U" <<'PY'
import os, socket, subprocess, sys, threading, urllib.request
out, ex, u = sys.argv[1:4]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
url = "http://127.0.0.1:%d" % srv.getsockname()[1]
def serve(name):
    c, _ = srv.accept()
    c.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(65536)
        if not d:
            break
        data += d
    open(os.path.join(out, name), "wb").write(data.split(b"\r\n\r\n", 1)[0])
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    c.close()
def client(name, run):
    t = threading.Thread(target=serve, args=(name,))
    t.start()
    try:
        run()
    except Exception:  # the empty answer is not what the clients wanted; only their request counts
        pass
    t.join()
q = subprocess.run
client("curl-get.bin", lambda: q(["curl", "-s", "-o", "/dev/null", url + "/ca/crl.der"]))
client("curl-post-expect.bin", lambda: q(["curl", "-s", "-o", "/dev/null", "-H", "Content-Type: application/timestamp-query",
                                         "-H", "Expect: 100-continue", "--data-binary", "@" + os.path.join(ex, "root.pem"), url + "/tsa"]))
client("urllib-post.bin", lambda: urllib.request.urlopen(urllib.request.Request(url + "/api/verify?lang=en", data=b"x" * 10,
                                                         headers={"Content-Type": "multipart/form-data; boundary=kysoSeedBoundary"}), timeout=10))
client("openssl-ocsp-post.bin", lambda: q(["openssl", "ocsp", "-issuer", os.path.join(ex, "ca/ca.pem"), "-cert", os.path.join(u, "agency.pem"),
                                          "-url", url + "/ocsp", "-noverify"], capture_output=True, timeout=20))
client("openssl-ocsp-host.bin", lambda: q(["openssl", "ocsp", "-issuer", os.path.join(ex, "ca/ca.pem"), "-cert", os.path.join(u, "agency.pem"),
                                     "-url", url + "/ocsp", "-noverify", "-header", "Host=ca.bacninh.gov.vn"], capture_output=True, timeout=20))
open(os.path.join(out, "http10-keep-alive.bin"), "wb").write(b"GET /ca.pem HTTP/1.0\r\nHost: ca.bacninh.gov.vn\r\nConnection: keep-alive\r\nAccept: */*")
PY
