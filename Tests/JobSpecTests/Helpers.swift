import JobSpec

func loadJob(_ text: String) throws(JobError) -> Job {
    try JobLoader.load(Array(text.utf8), file: "job.yaml")
}

/// The error `JobLoader.load` throws for `text`, or nil when it loads.
func jobError(_ text: String) -> JobError? {
    jobError(bytes: Array(text.utf8))
}

func jobError(bytes: [UInt8]) -> JobError? {
    do {
        _ = try JobLoader.load(bytes, file: "job.yaml")
        return nil
    } catch {
        return error
    }
}

func configError(_ text: String) -> JobError? {
    do {
        _ = try SpoolConfig.load(Array(text.utf8), file: "config.yaml")
        return nil
    } catch {
        return error
    }
}
