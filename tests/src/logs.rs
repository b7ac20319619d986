//! A log capture: every line a test binary's functions log, for checking that none carries a secret.
//! It is the binary's global subscriber, so a test file that uses it is a binary of its own (see the index in
//! `lib.rs`).

/// Every log line a test binary writes (JSON, as the functions log in Lambda), for checking that none
/// carries a secret. The first call installs the capture as the binary's global subscriber.
pub fn captured_logs() -> &'static LogCapture {
    static LOGS: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = LogCapture::default();
        let writer = captured.clone();
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        // The functions' own filter at DEBUG, the most a deployment can log.
        tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::DEBUG)
            .finish()
            .with(gluelinks_core::logging::filter(
                tracing::level_filters::LevelFilter::DEBUG,
            ))
            .init();
        captured
    })
}

#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
