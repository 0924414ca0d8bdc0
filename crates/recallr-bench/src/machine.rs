//! What the run ran on, for the report's header.

/// The machine and the moment.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPUs this process may use (what `nproc` prints).
    pub nproc: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `MemTotal` from `/proc/meminfo`, in GiB.
    pub memory_gib: Option<f64>,
    /// The 1-minute load average when the run started (the machine is
    /// shared, so it says how quiet it was).
    pub load_at_start: Option<f64>,
    /// When the run started, UTC.
    pub date: String,
}

impl Machine {
    /// Reads it now; a file that cannot be read leaves its field unknown.
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            nproc: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_string()),
            memory_gib: memory_kib(&meminfo).map(|kib| kib as f64 / (1024.0 * 1024.0)),
            load_at_start: load_now(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// The 1-minute load average now.
pub fn load_now() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

fn memory_kib(meminfo: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let value = line.strip_prefix("MemTotal:")?;
        value.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_parsed() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Example CPU @ 3.0GHz\nflags\t: x\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Example CPU @ 3.0GHz"));
        assert_eq!(cpu_model("processor : 0\n"), None);
        assert_eq!(
            memory_kib("MemTotal:       25165824 kB\n"),
            Some(25_165_824)
        );
    }
}
