//! Charging buyers: the [`PaymentGateway`] a checkout pays through, and the simulated one the
//! api runs with ([`simulated::SimulatedGateway`]).
//!
//! Every charge carries an idempotency key derived from the hold and the card, so a charge
//! repeated after a timeout or a crash is the same charge, never a second one. A charge whose
//! hold lapsed before its seats were sold is refunded, at once by the checkout, or by the
//! sweeper if the api died in between ([`sweep`]).

pub mod simulated;
pub mod sweep;

use domain::Price;
use futures_util::future::BoxFuture;

/// One payment to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Repeating a charge with this key takes no second payment.
    pub idempotency_key: String,
    /// How much.
    pub amount: Price,
    /// The card, as a payment token (`tok_visa`, ...).
    pub token: String,
    /// The hold paid for (`event.uuid`), so that a lapsed hold's charge can be found again.
    pub hold_id: String,
}

/// Why a charge was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The card was declined; another card may do (402).
    #[error("{0}")]
    Declined(String),
    /// The token names no card (400, naming `paymentToken`).
    #[error("the payment token names no card")]
    InvalidToken,
    /// The gateway failed or did not answer; nothing was charged (503).
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
}

/// A payment provider.
pub trait PaymentGateway: Send + Sync + 'static {
    /// Takes `charge`, or returns the charge taken before under its idempotency key; the
    /// charge's id.
    fn charge<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<String, PaymentError>>;

    /// Gives the money of charge `charge_id` back. Refunding twice refunds once.
    fn refund<'a>(&'a self, charge_id: &'a str) -> BoxFuture<'a, Result<(), PaymentError>>;
}
