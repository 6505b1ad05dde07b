//! Numbers as the page prints them: fixed decimals where the value is of ordinary size, powers
//! of ten where it is not (a diverging run's team reward of 1.6e19 printed in full was twenty
//! digits; a converged agent's gradient norm of 3e-7 printed as 0.0000).

/// `value` with `digits` decimals, or in scientific notation when it is at least 10⁵ in size
/// (or non-zero and below 10^-digits); "—" for none.
pub fn fixed(value: Option<f32>, digits: usize) -> String {
    match value {
        None => "—".into(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 0.5 * 10f32.powi(-(digits as i32))) => format!("{v:.2e}"),
        Some(v) => format!("{v:.digits$}"),
    }
}

/// `value` with three significant digits whatever its size (gradient norms span decades).
pub fn significant(value: Option<f32>) -> String {
    match value {
        None => "—".into(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(0.0) => "0".into(),
        Some(v) if v.abs() < 1e-3 || v.abs() >= 1e5 => format!("{v:.2e}"),
        Some(v) => {
            let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 5) as usize;
            format!("{v:.digits$}")
        }
    }
}

/// A reward scale as a short label: "×10", "×0.5", "×4e19".
pub fn scale(value: f32) -> String {
    if value.abs() >= 1e5 { format!("×{value:.0e}") } else { format!("×{value}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_tiny_values_are_written_with_powers_of_ten() {
        assert_eq!(fixed(Some(16_311_504_587_196_465_152.0), 2), "1.63e19");
        assert_eq!(fixed(Some(0.98), 2), "0.98");
        assert_eq!(fixed(Some(-0.39), 2), "-0.39");
        assert_eq!(fixed(Some(0.0), 2), "0.00");
        assert_eq!(fixed(Some(0.001), 2), "1.00e-3");
        assert_eq!(fixed(None, 2), "—");
        assert_eq!(significant(Some(3e-7)), "3.00e-7");
        assert_eq!(significant(Some(0.165)), "0.165");
        assert_eq!(significant(Some(12.34)), "12.3");
        assert_eq!(significant(Some(0.0)), "0");
        assert_eq!(scale(4e19), "×4e19");
        assert_eq!(scale(1000.0), "×1000");
    }
}
