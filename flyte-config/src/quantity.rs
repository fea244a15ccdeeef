//! Kubernetes resource quantities, as flytectl's attribute files and task resources write them.

/// Whether `v` is a Kubernetes quantity: a decimal number with an optional SI (`m`, `k`, `M`,
/// `G`, ...) or binary (`Ki`, `Mi`, `Gi`, ...) suffix, such as `500m`, `2`, `1.5Gi`.
pub fn is_quantity(v: &str) -> bool {
    const SUFFIXES: [&str; 15] = [
        "", "n", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty()
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().any(|c| c.is_ascii_digit())
        && SUFFIXES.contains(&&v[digits.len()..])
}

#[cfg(test)]
mod tests {
    use super::is_quantity;

    #[test]
    fn quantities_as_kubernetes_reads_them() {
        for ok in ["500m", "2", "1.5Gi", "64Gi", "100k", "0.5"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "lots", "1GB", "Gi", ".", "1..2", "-1", "1 Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}
