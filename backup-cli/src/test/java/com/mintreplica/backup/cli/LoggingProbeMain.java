package com.mintreplica.backup.cli;

import org.slf4j.LoggerFactory;

/**
 * Runs the CLI's main after logging, under the CLI's logging configuration, one line from each logging system the
 * CLI's libraries use: SLF4J (the AWS SDK's loggers), java.util.logging (Google's clients) and commons-logging
 * (Apache's HTTP client), and one from mint-backup itself. For {@link CliOutputIT}.
 */
public final class LoggingProbeMain {
    private LoggingProbeMain() {
    }

    public static void main(String[] args) {
        MintBackup.configureLogging(args);
        LoggerFactory.getLogger("software.amazon.awssdk.core.internal.http.pipeline.stages.ApiCallAttemptTimeoutTrackingStage")
                .error("Failed to close the response stream (probe)", new java.io.IOException("probe"));
        java.util.logging.Logger.getLogger("io.grpc.internal.ManagedChannelImpl").warning("grpc channel probe");
        org.apache.commons.logging.LogFactory.getLog("org.apache.http.impl.execchain.RetryExec")
                .info("I/O exception (java.net.SocketException) caught when processing request (probe)");
        LoggerFactory.getLogger("com.mintreplica.backup.core.internal.Store").warn("mint-backup's own warning (probe)");
        MintBackup.main(args);
    }
}
