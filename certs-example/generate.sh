#!/usr/bin/env bash
# Regenerates the example province of certs-example/ with kyso itself:
#   root CA "Root CA Tỉnh Bắc Ninh" → issuing CA "CA Tỉnh Bắc Ninh" → the three pilot units
#   (an agency and a person certificate each), a revoked person certificate, a TSA certificate,
#   and the CRLs. Every key is encrypted with the DEMO passphrase of passphrase.txt (example only:
#   `ca issue` refuses a unit's key under the CA's passphrase unless --reuse-ca-passphrase).
#
# Usage: certs-example/generate.sh            (uses `kyso` from PATH, else builds it with cargo)
#        KYSO=/path/to/kyso certs-example/generate.sh
# The sample documents in docs/ and README.md are hand-written and left untouched.
#
# Dates and renewal. The unit, person and TSA certificates last 5 years (kyso's maximum for leaf
# profiles) and the CRLs CRL_DAYS; the checked-in set expires on 2031-11-30. The test suite does
# not depend on it being current (issue 23): tests that sign at the current time run this script
# on a copy (tests/it/example.rs, once per test run), and tests of the checked-in files check at
# a pinned time inside every validity. `cargo test` passes with the clock set past the expiry
# (.ci/run runs it under faketime at 2032-01-01). To renew the checked-in folder (new keys,
# serials and dates), from the repository root:
#   certs-example/generate.sh
#   KYSO_BLESS=1 cargo test --test it snapshots report   # the report snapshots show the new
#   git diff tests/snapshots                             # dates and serials: review them
#   (then copy the new sample report lines into README.md: report::the_readme_sample_is_the_snapshot
#   names the lines that differ)
#   cargo test                                           # README blocks, everything else
# fuzz/fixtures and fuzz/seeds are made from it by fuzz/make-seeds.sh, separately (they are
# verified at their own pinned time).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if [ -z "${KYSO:-}" ]; then
  if command -v kyso >/dev/null 2>&1; then
    KYSO=kyso
  else
    (cd .. && cargo build -q)
    KYSO="$here/../target/debug/kyso"
  fi
fi
k() { "$KYSO" "$@"; }

PASS="$here/passphrase.txt"
ORG="Sở Thông tin và Truyền thông tỉnh Bắc Ninh"
ST="Bắc Ninh"
# Example CRLs live long (5 years, like the certificates); real CRLs last days.
CRL_DAYS=1826

rm -rf root ca units revoked tsa root.pem chain.pem crl.pem
# `ca issue --cert-out` writes the certificate followed by its chain; the example keeps each
# certificate alone in its file (the chain is chain.pem), so the chains go to a scratch folder.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
k ca init --dir root --name "Root CA Tỉnh Bắc Ninh" --org "$ORG" --province "$ST" --years 20 \
  --crl-url http://ca.bacninh.example/crl/root.crl --pass-file "$PASS"
k ca init --dir ca --name "CA Tỉnh Bắc Ninh" --org "$ORG" --province "$ST" --years 10 \
  --crl-url http://ca.bacninh.example/crl/ca.crl --parent root --pass-file "$PASS"

# slug | unit | unit identifier | head of the unit | title | CCCD (all fictional)
units=(
  "van-phong-ubnd|Văn phòng UBND tỉnh Bắc Ninh|MNS:1000001|Nguyễn Văn An|Chánh Văn phòng|CCCD:027080000001"
  "so-y-te|Sở Y tế tỉnh Bắc Ninh|MNS:1000002|Trần Thị Bình|Giám đốc|CCCD:027185000002"
  "so-ke-hoach-dau-tu|Sở Kế hoạch và Đầu tư tỉnh Bắc Ninh|MST:2300100003|Lê Quang Dũng|Giám đốc|CCCD:027079000003"
)
for u in "${units[@]}"; do
  IFS='|' read -r slug name uid head title cccd <<<"$u"
  mkdir -p "units/$slug"
  k ca issue --dir ca --profile agency --cn "$name" --org "$name" --uid "$uid" --province "$ST" \
    --key-out "units/$slug/agency.key" --cert-out "units/$slug/agency.pem" --chain-out "$scratch/$slug-agency.pem" --key-pass-file "$PASS" --reuse-ca-passphrase --pass-file "$PASS"
  k ca issue --dir ca --profile person --cn "$head" --title "$title" --org "$name" --uid "$cccd" --province "$ST" \
    --key-out "units/$slug/person.key" --cert-out "units/$slug/person.pem" --chain-out "$scratch/$slug-person.pem" --key-pass-file "$PASS" --reuse-ca-passphrase --pass-file "$PASS"
done

# A former deputy director whose key was compromised: revoked, listed in crl.pem.
mkdir -p revoked
k ca issue --dir ca --profile person --cn "Phạm Văn Cường" --title "Phó Giám đốc" --org "Sở Y tế tỉnh Bắc Ninh" \
  --uid CCCD:027082000004 --province "$ST" --key-out revoked/person.key --cert-out revoked/person.pem --chain-out "$scratch/revoked.pem" --key-pass-file "$PASS" --reuse-ca-passphrase --pass-file "$PASS"
serial=$(openssl x509 -in revoked/person.pem -noout -serial | cut -d= -f2)
k ca revoke --dir ca --serial "$serial" --reason key-compromise --pass-file "$PASS"

# The province's timestamping unit (RFC 3161; EKU timeStamping, critical and alone).
mkdir -p tsa
k ca issue --dir ca --profile tsa --cn "TSA Tỉnh Bắc Ninh" --org "$ORG" --province "$ST" \
  --key-out tsa/tsa.key --cert-out tsa/tsa.pem --chain-out "$scratch/tsa.pem" --key-pass-file "$PASS" --reuse-ca-passphrase --pass-file "$PASS"

k ca crl --dir root --days "$CRL_DAYS" --pass-file "$PASS"
k ca crl --dir ca --days "$CRL_DAYS" --pass-file "$PASS"

cp root/ca.pem root.pem
cp ca/chain.pem chain.pem             # issuing CA, then root
cat ca/crl.pem root/crl.pem > crl.pem # both CRLs: revocation data for the whole chain

k ca audit --dir root
k ca audit --dir ca
k ca list --dir ca
echo "certs-example regenerated in $here"
