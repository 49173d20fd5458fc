//! The engine's failures as the report's typed findings ([`crate::findings::PathProblem`]).

use super::{Budget, CertRef, GeneralNameKind, PathError};
use crate::findings::{CertInPath, NameKind, PathBudget, PathProblem};
use time::OffsetDateTime;

fn at(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn in_path(c: &CertRef) -> CertInPath {
    CertInPath { position: c.index, subject: c.subject.clone() }
}

fn name_kind(k: GeneralNameKind) -> NameKind {
    use GeneralNameKind as K;
    match k {
        K::Directory => NameKind::Directory,
        K::Rfc822 => NameKind::Email,
        K::Dns => NameKind::Dns,
        K::Uri => NameKind::Uri,
        K::Ip => NameKind::IpAddress,
        _ => NameKind::Other,
    }
}

/// The engine's failure as a typed path problem, with the validation time.
pub(crate) fn path_problem(e: &PathError, time: i64) -> PathProblem {
    match e {
        PathError::Malformed { cert, .. } => PathProblem::Malformed { cert: in_path(cert) },
        PathError::NoIssuer { cert, issuer } => PathProblem::NoIssuer { cert: in_path(cert), issuer: issuer.clone() },
        PathError::BadSignature { cert } => PathProblem::BadSignature { cert: in_path(cert) },
        PathError::UnsupportedAlgorithm { cert, algorithm } => PathProblem::AlgorithmNotAllowed { cert: in_path(cert), algorithm: algorithm.clone() },
        PathError::WeakKey { cert, key } => PathProblem::WeakKey { cert: in_path(cert), key: key.clone() },
        PathError::Expired { cert, not_after } => PathProblem::Expired { cert: in_path(cert), not_after: *not_after, time: at(time) },
        PathError::NotYetValid { cert, not_before } => PathProblem::NotYetValid { cert: in_path(cert), not_before: *not_before, time: at(time) },
        PathError::NotCa { cert } => PathProblem::NotCa { cert: in_path(cert) },
        PathError::NoKeyCertSign { cert } => PathProblem::NoKeyCertSign { cert: in_path(cert) },
        PathError::PathLength { cert } => PathProblem::PathLengthExceeded { cert: in_path(cert) },
        PathError::TooLong { max } => PathProblem::TooLong { max: *max },
        PathError::UnknownCriticalExtension { cert, oid } => PathProblem::UnknownCriticalExtension { cert: in_path(cert), oid: *oid },
        PathError::NameConstraint { cert, kind, name } => {
            PathProblem::NameConstraintViolated { cert: in_path(cert), kind: name_kind(*kind), name: name.clone() }
        }
        PathError::NameConstraintUnsupported { cert, kind } => PathProblem::NameConstraintUnsupported { cert: in_path(cert), kind: name_kind(*kind) },
        PathError::AnyPolicyMapping { cert } => PathProblem::AnyPolicyMapping { cert: in_path(cert) },
        PathError::NoValidPolicy { cert } => PathProblem::NoValidPolicy { cert: in_path(cert) },
        PathError::Eku { cert } => PathProblem::EkuNotAllowed { cert: in_path(cert) },
        PathError::AnchorValidity { anchor, not_before, not_after } => {
            PathProblem::AnchorOutsideValidity { anchor: anchor.clone(), not_before: *not_before, not_after: *not_after }
        }
        PathError::Budget(b) => PathProblem::Budget(match b {
            Budget::SignatureChecks => PathBudget::SignatureChecks,
            Budget::BuildSteps => PathBudget::BuildSteps,
            Budget::NameConstraintChecks => PathBudget::NameConstraintChecks,
            Budget::Policies => PathBudget::Policies,
            _ => PathBudget::Names,
        }),
    }
}

