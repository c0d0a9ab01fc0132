//! Every AWS call goes through here: it is bounded by the crawl's concurrency, counted, and its
//! failure recorded as a coverage gap instead of stopping the crawl.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::Semaphore;

use crate::model::{CoverageRecord, CoverageStatus};

/// Where a call was made: the account and region (None for account-wide calls).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub account: String,
    pub region: Option<String>,
}

/// One operation in one scope, and what became of its calls.
#[derive(Debug, Default, Clone)]
struct Tally {
    calls: u64,
    error: Option<String>,
}

/// An operation of a service in a scope.
type Key = (Scope, &'static str, &'static str);

/// The crawl's shared call budget and ledger.
#[derive(Debug, Clone)]
pub struct Calls {
    permits: Arc<Semaphore>,
    ledger: Arc<Mutex<BTreeMap<Key, Tally>>>,
}

impl Calls {
    /// At most `concurrency` requests in flight at once.
    pub fn new(concurrency: usize) -> Self {
        Calls {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            ledger: Arc::default(),
        }
    }

    /// Make one request under the concurrency bound; record it. `None` when it failed (the
    /// failure is recorded with its reason).
    pub async fn one<T, E>(
        &self,
        scope: &Scope,
        service: &'static str,
        operation: &'static str,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Option<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let result = {
            let _permit = self
                .permits
                .acquire()
                .await
                .expect("semaphore never closed");
            request.await
        };
        self.settle(scope, service, operation, result)
    }

    /// Run a request under the concurrency bound without settling it: for the caller to
    /// record once it knows the scope the answer belongs to.
    pub async fn bounded<T>(&self, request: impl Future<Output = T>) -> T {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        request.await
    }

    /// Read every page of a paginated call. On a failure the pages read so far are kept and
    /// the failure is recorded: the data is partial and the coverage says so.
    pub async fn pages<T, E>(
        &self,
        scope: &Scope,
        service: &'static str,
        operation: &'static str,
        mut stream: PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
    ) -> Vec<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut pages = Vec::new();
        loop {
            let next = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .expect("semaphore never closed");
                stream.next().await
            };
            let Some(result) = next else { break };
            match self.settle(scope, service, operation, result) {
                Some(page) => pages.push(page),
                None => break,
            }
        }
        pages
    }

    pub(crate) fn settle<T, E>(
        &self,
        scope: &Scope,
        service: &'static str,
        operation: &'static str,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) -> Option<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut ledger = self.ledger.lock().expect("ledger lock");
        let tally = ledger
            .entry((scope.clone(), service, operation))
            .or_default();
        tally.calls += 1;
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                let reason = describe(&error);
                tracing::debug!(
                    account = %scope.account,
                    region = scope.region.as_deref().unwrap_or("-"),
                    "{service}:{operation} failed: {reason}"
                );
                tally.error.get_or_insert(reason);
                None
            }
        }
    }

    /// Whether an operation in this scope has failed.
    pub fn failed(&self, scope: &Scope, service: &'static str, operation: &'static str) -> bool {
        self.error(scope, service, operation).is_some()
    }

    /// Why an operation in this scope failed, if it did.
    pub fn error(
        &self,
        scope: &Scope,
        service: &'static str,
        operation: &'static str,
    ) -> Option<String> {
        self.ledger
            .lock()
            .expect("ledger lock")
            .get(&(scope.clone(), service, operation))
            .and_then(|t| t.error.clone())
    }

    /// Record that a scope was not read to the end because the crawl was interrupted.
    pub fn interrupted(&self, scope: &Scope) {
        let mut ledger = self.ledger.lock().expect("ledger lock");
        let tally = ledger
            .entry((scope.clone(), "linchpin", "Crawl"))
            .or_default();
        tally
            .error
            .get_or_insert_with(|| "interrupted before it was read in full".into());
    }

    /// Total requests made so far.
    pub fn total(&self) -> u64 {
        self.ledger
            .lock()
            .expect("ledger lock")
            .values()
            .map(|t| t.calls)
            .sum()
    }

    /// The ledger as coverage records, in a stable order.
    pub fn coverage(&self) -> Vec<CoverageRecord> {
        self.ledger
            .lock()
            .expect("ledger lock")
            .iter()
            .map(|((scope, service, operation), tally)| CoverageRecord {
                source: "aws".into(),
                provider: Some("aws".into()),
                account: Some(scope.account.clone()),
                region: scope.region.clone(),
                service: (*service).into(),
                operation: (*operation).into(),
                status: if tally.error.is_some() {
                    CoverageStatus::Failed
                } else {
                    CoverageStatus::Complete
                },
                calls: Some(tally.calls),
                error: tally.error.clone(),
                conflict: None,
            })
            .collect()
    }
}

/// One line saying why a call failed: the service's error code and message when it answered,
/// else what stopped the request (unreachable endpoint, timeout, an unreadable answer).
pub fn describe<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                // An answer the SDK could not parse: its HTTP status still says what happened.
                _ => match service.raw().status().as_u16() {
                    401 | 403 => format!("access denied (HTTP {})", service.raw().status()),
                    429 => format!("throttled (HTTP {})", service.raw().status()),
                    status => format!("HTTP {status}: {}", chain(err)),
                },
            }
        }
        SdkError::DispatchFailure(failure) => {
            let reason = chain(error);
            if reason.contains("credentials") && !failure.is_io() {
                format!("no usable credentials: {reason}")
            } else {
                format!("endpoint unreachable: {reason}")
            }
        }
        SdkError::TimeoutError(_) => format!("timed out: {}", chain(error)),
        SdkError::ResponseError(_) => format!("unreadable response: {}", chain(error)),
        _ => chain(error),
    }
}

/// An error and its sources on one line, each message once.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}
