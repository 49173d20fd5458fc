#!/usr/bin/env bash
# kyso vs the openssl CLI on the same inputs, with the example province (certs-example/):
#
#   1. libcrypto in-process (benches/openssl_cms.c): CMS sign / verify of a 1 KiB document and the
#      raw ECDSA P-256 primitives — the OpenSSL column of the per-signature targets;
#   2. a batch of 2,000 files of 1 KiB: `kyso sign` / `kyso verify` (one process, RAYON_NUM_THREADS
#      = 1 and 2) vs `openssl cms -sign` / `-verify` (one process per file, xargs -P 1 and 2);
#   3. one small document: start-up + teardown of `kyso verify` vs `openssl cms -verify`;
#   4. one 1 GiB file: sign and verify vs SHA-256 (`openssl dgst -sha256`), with peak RSS, and a
#      64 MiB file to show that memory does not grow with the file.
#
# Every measurement runs REPS times (default 3) through /usr/bin/time; the medians are printed:
# wall time, CPU time (user + sys) and peak RSS. On a shared machine read the CPU column: wall
# time measures the other jobs as much as ours. The criterion benches (cargo bench --bench
# verify / sign / large) give the in-process kyso numbers and measure process CPU time too.
#
# usage: benches/compare.sh [--skip-large] [--skip-batch] [--skip-libcrypto]
# env:   REPS=3  FILES=2000  SINGLE_RUNS=200  KYSO=path/to/kyso (default: cargo build --release)
#        WORK=folder for the batch files and results (default target/bench-data/compare)
#        OPENSSL_BATCH_REPS=$REPS (the openssl batches take minutes each on a loaded machine)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
E=$ROOT/certs-example
PASS_FILE=$E/passphrase.txt
CERT=$E/units/so-y-te/agency.pem
KEY=$E/units/so-y-te/agency.key
REPS=${REPS:-3}
FILES=${FILES:-2000}
SINGLE_RUNS=${SINGLE_RUNS:-200}
OPENSSL_BATCH_REPS=${OPENSSL_BATCH_REPS:-$REPS}
DATA=$ROOT/target/bench-data
# WORK=/dev/shm/kyso-compare puts the batch on tmpfs, where fsync costs nothing: what is left
# is the CPU and the kernel's file handling, i.e. whether the batch scales when the disk is not
# the limit (on a shared machine the disk journal is shared with everyone's builds).
WORK=${WORK:-$DATA/compare}
SKIP_LARGE=0 SKIP_BATCH=0 SKIP_LIBCRYPTO=0
for a in "$@"; do
  case $a in
    --skip-large) SKIP_LARGE=1 ;;
    --skip-batch) SKIP_BATCH=1 ;;
    --skip-libcrypto) SKIP_LIBCRYPTO=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "needs openssl" >&2; exit 2; }
if [ -z "${KYSO:-}" ]; then
  cargo build --release --quiet --bin kyso
  KYSO=$ROOT/target/release/kyso
fi
mkdir -p "$WORK"
OUT=$WORK/results.txt
: >"$OUT"
say() { echo "$*" | tee -a "$OUT"; }

say "# benches/compare.sh — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "# $(openssl version); kyso $($KYSO --version 2>/dev/null | head -1)"
say "# medians of $REPS runs; wall s, cpu s (user+sys), peak RSS KiB"

# OpenSSL gets an unencrypted copy of the key: otherwise every `openssl cms -sign` process pays
# PBKDF2 (600,000 iterations) again, which would only measure that.
PLAINKEY=$WORK/agency-plain.key
( umask 077; openssl pkey -in "$KEY" -passin "file:$PASS_FILE" -out "$PLAINKEY" )
# The issuing CA alone (the root stays out of signatures, as kyso does), and root + CRLs for
# `openssl cms -verify -crl_check_all` (it has no -CRLfile).
ISSUING=$E/ca/ca.pem
CAFILE_CRL=$WORK/root-and-crls.pem
cat "$E/root.pem" "$E/crl.pem" >"$CAFILE_CRL"

# measure NAME PREPARE CMD... : runs PREPARE (a shell function, may be :) then CMD under
# /usr/bin/time, REPS times; stores the medians in R_WALL R_CPU R_RSS and prints a line.
measure() {
  local name=$1 prep=$2; shift 2
  local walls=() cpus=() rsss=() i t
  for ((i = 0; i < REPS; i++)); do
    $prep
    t=$WORK/time.$$
    if ! /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" >/dev/null 2>"$WORK/stderr.$$"; then
      echo "FAILED: $name: $*" >&2; tail -5 "$WORK/stderr.$$" >&2; exit 1
    fi
    read -r w u s m <"$t"
    walls+=("$w"); cpus+=("$(echo "$u + $s" | bc -l)"); rsss+=("$m")
  done
  R_WALL=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((REPS + 1) / 2))p")
  R_CPU=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((REPS + 1) / 2))p")
  R_RSS=$(printf '%s\n' "${rsss[@]}" | sort -g | tail -1)
  say "$(printf '%-46s wall %8.3f  cpu %8.3f  rss %8d' "$name" "$R_WALL" "$R_CPU" "$R_RSS")"
}
ratio() { echo "scale=3; ($1) / ($2)" | bc -l; }

# ---------------------------------------------------------------- 1. libcrypto in-process
if [ $SKIP_LIBCRYPTO = 0 ]; then
  say ""
  say "## 1. per signature, in-process (process CPU µs per operation, 1 KiB document)"
  cc -O2 -o "$DATA/openssl_cms" "$ROOT/benches/openssl_cms.c" -lcrypto
  head -c 1024 /dev/urandom >"$WORK/doc1k.bin"
  "$DATA/openssl_cms" "$CERT" "$PLAINKEY" "" "$ISSUING" "$E/root.pem" "$E/crl.pem" "$WORK/doc1k.bin" | tee -a "$OUT"
  say "(kyso's side: cargo bench --bench verify; see benches/RESULTS.md)"
fi

# ---------------------------------------------------------------- 2. batch of small files
if [ $SKIP_BATCH = 0 ]; then
  say ""
  say "## 2. batch: $FILES files of 1 KiB"
  B=$WORK/batch
  if [ "$(ls "$B"/doc-*.bin 2>/dev/null | wc -l)" != "$FILES" ]; then
    rm -rf "$B"; mkdir -p "$B"
    for ((i = 0; i < FILES; i++)); do head -c 1024 /dev/urandom >"$B/doc-$i.bin"; done
  fi
  mapfile -t DOCS < <(ls "$B"/doc-*.bin)
  printf '%s\n' "${DOCS[@]}" >"$WORK/docs.list"
  S=$WORK/batch-sigs
  # One openssl process per file, as a user of the CLI would run it.
  cat >"$WORK/openssl-sign-one.sh" <<EOF
#!/bin/sh
exec openssl cms -sign -binary -cades -nosmimecap -in "\$1" -signer "$CERT" -inkey "$PLAINKEY" \\
  -certfile "$ISSUING" -outform DER -out "$S/\$(basename "\$1").p7s"
EOF
  cat >"$WORK/openssl-verify-one.sh" <<EOF
#!/bin/sh
exec openssl cms -verify -binary -inform DER -in "\$1.p7s" -content "\$1" -CAfile "$CAFILE_CRL" \\
  -crl_check_all -purpose any -out /dev/null 2>/dev/null
EOF
  chmod +x "$WORK/openssl-sign-one.sh" "$WORK/openssl-verify-one.sh"
  clean_sigs() { rm -rf "$S"; mkdir -p "$S"; }
  for T in 1 2; do
    measure "kyso sign, $T thread(s)" clean_sigs env RAYON_NUM_THREADS=$T \
      "$KYSO" sign --cert "$CERT" --key "$KEY" --chain "$ISSUING" --pass-file "$PASS_FILE" --out-dir "$S" "${DOCS[@]}"
    eval "KS_W$T=$R_WALL KS_C$T=$R_CPU KS_M$T=$R_RSS"
    REPS=$OPENSSL_BATCH_REPS measure "openssl cms -sign, $T process(es) at a time" clean_sigs \
      xargs -a "$WORK/docs.list" -P "$T" -n 1 "$WORK/openssl-sign-one.sh"
    eval "OS_W$T=$R_WALL OS_C$T=$R_CPU"
  done
  # The machine's own ceiling for "2 cores vs 1": two independent 1-thread runs at once (each
  # on half of the files, so the pair does the same work as one run over all of them). A
  # speed-up below 2 here comes from the machine (shared disk journal, frequency, caches), not
  # from kyso's threads. Each half starts its own process and, for sign, decrypts the key again
  # (PBKDF2, ~0.07 s of CPU), so for sign this reference is somewhat pessimistic.
  half=$((FILES / 2))
  S2=$WORK/batch-sigs-b
  clean_sigs2() { rm -rf "$S" "$S2"; mkdir -p "$S" "$S2"; }
  measure "kyso sign, 2 × 1 thread at once (ceiling)" clean_sigs2 bash -c \
    'RAYON_NUM_THREADS=1 "$1" sign --cert "$2" --key "$3" --chain "$4" --pass-file "$5" --out-dir "$6" "${@:9:$8}" 2>/dev/null & p=$!
     RAYON_NUM_THREADS=1 "$1" sign --cert "$2" --key "$3" --chain "$4" --pass-file "$5" --out-dir "$7" "${@:$((9 + $8))}" 2>/dev/null || exit 1
     wait $p' _ "$KYSO" "$CERT" "$KEY" "$ISSUING" "$PASS_FILE" "$S" "$S2" "$half" "${DOCS[@]}"
  KS_WP=$R_WALL
  # Signatures beside the documents for verification (kyso's, verified by both).
  rm -f "$B"/*.p7s
  "$KYSO" sign --cert "$CERT" --key "$KEY" --chain "$ISSUING" --pass-file "$PASS_FILE" "${DOCS[@]}" 2>/dev/null
  for T in 1 2; do
    measure "kyso verify, $T thread(s)" : env RAYON_NUM_THREADS=$T \
      "$KYSO" verify --trust "$E/root.pem" --crl "$E/crl.pem" --revocation require "${DOCS[@]}"
    eval "KV_W$T=$R_WALL KV_C$T=$R_CPU KV_M$T=$R_RSS"
    REPS=$OPENSSL_BATCH_REPS measure "openssl cms -verify, $T process(es) at a time" : \
      xargs -a "$WORK/docs.list" -P "$T" -n 1 "$WORK/openssl-verify-one.sh"
    eval "OV_W$T=$R_WALL OV_C$T=$R_CPU"
  done
  measure "kyso verify, 2 × 1 thread at once (ceiling)" : bash -c \
    'RAYON_NUM_THREADS=1 "$1" verify --trust "$2" --crl "$3" --revocation require "${@:5:$4}" >/dev/null & p=$!
     RAYON_NUM_THREADS=1 "$1" verify --trust "$2" --crl "$3" --revocation require "${@:$((5 + $4))}" >/dev/null || exit 1
     wait $p' _ "$KYSO" "$E/root.pem" "$E/crl.pem" "$half" "${DOCS[@]}"
  KV_WP=$R_WALL
  say ""
  say "batch summary (wall; cpu in parentheses)"
  say "  sign:   kyso 1t ${KS_W1}s (${KS_C1}) 2t ${KS_W2}s (${KS_C2}); openssl 1p ${OS_W1}s (${OS_C1}) 2p ${OS_W2}s (${OS_C2})"
  say "  verify: kyso 1t ${KV_W1}s (${KV_C1}) 2t ${KV_W2}s (${KV_C2}); openssl 1p ${OV_W1}s (${OV_C1}) 2p ${OV_W2}s (${OV_C2})"
  say "  kyso speed-up 1→2 threads (wall): sign $(ratio "$KS_W1" "$KS_W2")×, verify $(ratio "$KV_W1" "$KV_W2")× (target ≥ 1.8×)"
  say "  machine ceiling, two independent 1-thread halves at once vs one 1-thread run (wall): sign $(ratio "$KS_W1" "$KS_WP")×, verify $(ratio "$KV_W1" "$KV_WP")×"
  say "  cores busy with 2 threads (cpu/wall): sign $(ratio "$KS_C2" "$KS_W2"), verify $(ratio "$KV_C2" "$KV_W2")"
  say "  openssl/kyso at 2 (wall): sign $(ratio "$OS_W2" "$KS_W2")×, verify $(ratio "$OV_W2" "$KV_W2")×; (cpu): sign $(ratio "$OS_C2" "$KS_C2")×, verify $(ratio "$OV_C2" "$KV_C2")×"
  say "  peak RSS kyso: sign ${KS_M2} KiB, verify ${KV_M2} KiB"
fi

# ---------------------------------------------------------------- 3. one small document
say ""
say "## 3. one small document, $SINGLE_RUNS processes in a row (start-up + work + teardown)"
DOC=$E/docs/cong-van.txt
SDIR=$WORK/single
mkdir -p "$SDIR"
cp "$DOC" "$SDIR/doc.txt"
rm -f "$SDIR/doc.txt.p7s"
"$KYSO" sign --cert "$CERT" --key "$KEY" --chain "$ISSUING" --pass-file "$PASS_FILE" "$SDIR/doc.txt" 2>/dev/null
measure "kyso verify × $SINGLE_RUNS" : bash -c \
  'for ((i = 0; i < $1; i++)); do "$2" verify "$3" --trust "$4" --crl "$5" --revocation require >/dev/null || exit 1; done' \
  _ "$SINGLE_RUNS" "$KYSO" "$SDIR/doc.txt" "$E/root.pem" "$E/crl.pem"
K1_W=$R_WALL K1_C=$R_CPU K1_M=$R_RSS
measure "openssl cms -verify × $SINGLE_RUNS" : bash -c \
  'for ((i = 0; i < $1; i++)); do openssl cms -verify -binary -inform DER -in "$2.p7s" -content "$2" -CAfile "$3" -crl_check_all -purpose any -out /dev/null 2>/dev/null || exit 1; done' \
  _ "$SINGLE_RUNS" "$SDIR/doc.txt" "$CAFILE_CRL"
O1_W=$R_WALL O1_C=$R_CPU O1_M=$R_RSS
measure "true × $SINGLE_RUNS (the loop's own cost)" : bash -c 'for ((i = 0; i < $1; i++)); do /bin/true; done' _ "$SINGLE_RUNS"
T_W=$R_WALL T_C=$R_CPU
say "  per process, loop cost removed: kyso $(echo "scale=2; ($K1_W - $T_W) * 1000 / $SINGLE_RUNS" | bc -l) ms wall, $(echo "scale=2; ($K1_C - $T_C) * 1000 / $SINGLE_RUNS" | bc -l) ms cpu;" \
  "openssl $(echo "scale=2; ($O1_W - $T_W) * 1000 / $SINGLE_RUNS" | bc -l) ms wall, $(echo "scale=2; ($O1_C - $T_C) * 1000 / $SINGLE_RUNS" | bc -l) ms cpu"
say "  kyso/openssl: wall $(ratio "$K1_W - $T_W" "$O1_W - $T_W"), cpu $(ratio "$K1_C - $T_C" "$O1_C - $T_C") (target ≤ 1); peak RSS kyso ${K1_M} KiB, openssl ${O1_M} KiB"

# ---------------------------------------------------------------- 4. one large file
if [ $SKIP_LARGE = 0 ]; then
  say ""
  say "## 4. large files (pseudo-random bytes, in the page cache after the first read)"
  BIG=$DATA/1GiB.bin
  if [ "$(stat -c %s "$BIG" 2>/dev/null || echo 0)" != 1073741824 ]; then
    head -c 1073741824 /dev/urandom >"$BIG"
  fi
  MID=$WORK/64MiB.bin
  [ -f "$MID" ] || head -c 67108864 "$BIG" >"$MID"
  cat "$BIG" >/dev/null # warm the page cache
  L=$WORK/large
  mkdir -p "$L"
  clean_large() { rm -f "$L"/*.p7s; }
  measure "openssl dgst -sha256, 1 GiB" : openssl dgst -sha256 "$BIG"
  SH_W=$R_WALL SH_C=$R_CPU SH_M=$R_RSS
  measure "kyso sign, 1 GiB" clean_large "$KYSO" sign --cert "$CERT" --key "$KEY" --chain "$ISSUING" --pass-file "$PASS_FILE" --out-dir "$L" "$BIG"
  KLS_W=$R_WALL KLS_C=$R_CPU KLS_M=$R_RSS
  measure "kyso sign, 64 MiB" clean_large "$KYSO" sign --cert "$CERT" --key "$KEY" --chain "$ISSUING" --pass-file "$PASS_FILE" --out-dir "$L" "$MID"
  KMS_M=$R_RSS
  clean_large
  "$KYSO" sign --cert "$CERT" --key "$KEY" --chain "$ISSUING" --pass-file "$PASS_FILE" --out-dir "$L" "$BIG" "$MID" 2>/dev/null
  measure "kyso verify, 1 GiB" : "$KYSO" verify "$BIG" --sig "$L/1GiB.bin.p7s" --trust "$E/root.pem" --crl "$E/crl.pem" --revocation require
  KLV_W=$R_WALL KLV_C=$R_CPU KLV_M=$R_RSS
  measure "kyso verify, 64 MiB" : "$KYSO" verify "$MID" --sig "$L/64MiB.bin.p7s" --trust "$E/root.pem" --crl "$E/crl.pem" --revocation require
  KMV_M=$R_RSS
  measure "openssl cms -sign, 1 GiB" : openssl cms -sign -binary -cades -nosmimecap -in "$BIG" -signer "$CERT" -inkey "$PLAINKEY" -certfile "$ISSUING" -outform DER -out "$L/openssl.p7s"
  OLS_W=$R_WALL OLS_C=$R_CPU OLS_M=$R_RSS
  measure "openssl cms -verify, 1 GiB" : openssl cms -verify -binary -inform DER -in "$L/1GiB.bin.p7s" -content "$BIG" -CAfile "$CAFILE_CRL" -crl_check_all -purpose any -out /dev/null
  OLV_W=$R_WALL OLV_C=$R_CPU OLV_M=$R_RSS
  say ""
  say "large-file summary (throughput relative to SHA-256, ≥ 0.9 is the target; by wall and by cpu)"
  say "  kyso sign:   wall $(ratio "$SH_W" "$KLS_W"), cpu $(ratio "$SH_C" "$KLS_C"); peak RSS ${KLS_M} KiB (64 MiB: ${KMS_M} KiB)"
  say "  kyso verify: wall $(ratio "$SH_W" "$KLV_W"), cpu $(ratio "$SH_C" "$KLV_C"); peak RSS ${KLV_M} KiB (64 MiB: ${KMV_M} KiB)"
  say "  openssl cms sign: wall $(ratio "$SH_W" "$OLS_W"), cpu $(ratio "$SH_C" "$OLS_C"); peak RSS ${OLS_M} KiB"
  say "  openssl cms verify: wall $(ratio "$SH_W" "$OLV_W"), cpu $(ratio "$SH_C" "$OLV_C"); peak RSS ${OLV_M} KiB"
  say "  SHA-256 (openssl dgst): $(echo "scale=2; 1024 / $SH_W" | bc -l) MiB/s wall, $(echo "scale=2; 1024 / $SH_C" | bc -l) MiB/s cpu; RSS ${SH_M} KiB"
fi
say ""
say "results written to $OUT"
