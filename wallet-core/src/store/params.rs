//! Argon2id cost parameters, with the bounds every blob and every caller must respect.

use super::StoreError;

/// Argon2id cost parameters (RFC 9106 §3.1): memory in KiB, passes, lanes.
///
/// Constructed only through [`KdfParams::new`] (or [`Default`]), so a value of this
/// type is always within the bounds below; a blob whose parameters are outside them is
/// refused before any memory is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl KdfParams {
    /// OWASP Password Storage Cheat Sheet's minimum for Argon2id: 19 MiB, 2 passes,
    /// 1 lane. This is the default for new blobs.
    pub const OWASP_MINIMUM: Self = Self {
        m_cost_kib: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// Largest accepted memory cost: 1 GiB. An attacker-supplied blob must not be able
    /// to make the wallet allocate more than this.
    pub const MAX_M_COST_KIB: u32 = 1024 * 1024;
    /// Largest accepted number of passes.
    pub const MAX_T_COST: u32 = 10;
    /// Largest accepted number of lanes.
    pub const MAX_P_COST: u32 = 4;
    /// Floor for the memory cost of a current-format blob: 4 MiB. Below this a blob
    /// is refused ([`StoreError::ParamsTooWeak`]); callers may choose cheaper
    /// parameters than the default between the floor and [`Self::OWASP_MINIMUM`]
    /// (tests do, to stay fast), and such blobs are upgraded by
    /// [`unlock`](super::unlock) when the caller's target is stronger.
    pub const MIN_M_COST_KIB: u32 = 4 * 1024;
    /// Floor for the number of passes (RFC 9106 §3.1: at least 1).
    pub const MIN_T_COST: u32 = 1;
    /// Floor for the number of lanes (RFC 9106 §3.1: at least 1).
    pub const MIN_P_COST: u32 = 1;

    /// The fixed parameters of format version 1, which did not record them.
    pub(crate) const V1: Self = Self {
        m_cost_kib: 4096,
        t_cost: 3,
        p_cost: 1,
    };

    /// Validated parameters.
    ///
    /// # Errors
    /// [`StoreError::ParamsOutOfBounds`] above the maxima (or zero passes/lanes);
    /// [`StoreError::ParamsTooWeak`] for a memory cost below [`Self::MIN_M_COST_KIB`].
    pub const fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, StoreError> {
        if m_cost_kib > Self::MAX_M_COST_KIB
            || t_cost > Self::MAX_T_COST
            || t_cost < Self::MIN_T_COST
            || p_cost > Self::MAX_P_COST
            || p_cost < Self::MIN_P_COST
        {
            return Err(StoreError::ParamsOutOfBounds {
                m_cost_kib,
                t_cost,
                p_cost,
            });
        }
        // RFC 9106 §3.1: m MUST be at least 8p; the floor (4096 ≥ 8·4) implies it.
        if m_cost_kib < Self::MIN_M_COST_KIB {
            return Err(StoreError::ParamsTooWeak { m_cost_kib, t_cost });
        }
        Ok(Self {
            m_cost_kib,
            t_cost,
            p_cost,
        })
    }

    /// Memory cost in KiB.
    #[must_use]
    pub const fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Number of passes.
    #[must_use]
    pub const fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Number of lanes.
    #[must_use]
    pub const fn p_cost(&self) -> u32 {
        self.p_cost
    }

    /// `true` when `self` costs an attacker less than `target` in memory or in passes,
    /// i.e. a blob at `self` should be re-encrypted at `target`.
    #[must_use]
    pub const fn is_weaker_than(&self, target: &Self) -> bool {
        self.m_cost_kib < target.m_cost_kib || self.t_cost < target.t_cost
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::OWASP_MINIMUM
    }
}
