//! "Forgot password" and sign-up answer known and unknown identifiers alike, but a known
//! one costs store writes (the reset link, the account) that an unknown one does not: a page
//! that waits for them answers later for accounts that exist. These variants start the work
//! on the runtime and return at once, so the page answers in the same time either way.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::directory::{Directory, DirectoryError, SignUpForm};

/// The started work; await it to learn how it ended (the page should not).
pub type Started = JoinHandle<Result<(), DirectoryError>>;

fn runtime() -> Result<tokio::runtime::Handle, DirectoryError> {
    tokio::runtime::Handle::try_current().map_err(|_| DirectoryError::Invalid {
        field: "runtime",
        reason: "detached use cases must be called within a tokio runtime",
    })
}

impl Directory {
    /// [`Directory::request_password_reset`], started on the current tokio runtime: returns
    /// before any store work, so answering the form right after takes as long for a known
    /// identifier as for an unknown one. Errors only when called outside a runtime.
    pub fn request_password_reset_detached(
        self: &Arc<Self>,
        identifier: &str,
    ) -> Result<Started, DirectoryError> {
        let runtime = runtime()?;
        let dir = Arc::clone(self);
        let identifier = identifier.to_owned();
        Ok(runtime.spawn(async move { dir.request_password_reset(&identifier).await }))
    }

    /// [`Directory::sign_up`], started on the current tokio runtime: returns before any
    /// store work, so the form's answer does not tell whether the identifier had an account.
    /// Check the form's own validity first (the page shows those errors at once); the
    /// started work's result says how it ended.
    pub fn sign_up_detached(self: &Arc<Self>, form: SignUpForm) -> Result<Started, DirectoryError> {
        let runtime = runtime()?;
        let dir = Arc::clone(self);
        Ok(runtime.spawn(async move { dir.sign_up(form).await }))
    }
}
