package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /report beside /metrics: a slow report never stops the scrapes, and one is built at a time. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsServerReportTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metrics_answer_while_a_report_is_built_and_a_second_report_is_told_to_retry() throws Exception {
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (MetricsServer server = MetricsServer.start("127.0.0.1:0")) {
            server.serveReport(() -> {
                building.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "<!DOCTYPE html><title>r</title>";
            });
            assertThat(server.reportUrl()).endsWith("/report");
            CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(URI.create(server.reportUrl()))
                    .timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(building.await(20, TimeUnit.SECONDS)).isTrue();

            HttpResponse<String> scrape = get(server.url());
            assertThat(scrape.statusCode()).isEqualTo(200);
            HttpResponse<String> busy = get(server.reportUrl());
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).contains("5");

            release.countDown();
            HttpResponse<String> page = slow.get(30, TimeUnit.SECONDS);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
            assertThat(page.body()).isEqualTo("<!DOCTYPE html><title>r</title>");
            assertThat(get(server.reportUrl()).statusCode()).isEqualTo(200); // free again
        }
    }

    @Test
    void a_report_that_cannot_be_built_answers_500_with_the_reason() throws Exception {
        try (MetricsServer server = MetricsServer.start("127.0.0.1:0")) {
            server.serveReport(() -> {
                throw new IllegalStateException("repository primary cannot be read");
            });
            HttpResponse<String> r = get(server.reportUrl());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).contains("repository primary cannot be read");
            assertThat(get(server.reportUrl()).statusCode()).isEqualTo(500); // the build slot was released
        }
    }
}
