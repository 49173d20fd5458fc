//! BER to DER normalisation (owned by the verification engineer).
