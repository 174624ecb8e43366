package com.mintreplica.backup.storage.s3.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

/** What an operator reads when a request fails before S3 answers. */
class S3ErrorsTest {
    @Test
    void missing_credentials_are_said_in_one_line_with_what_to_set() {
        // the SDK's own message lists every provider of its chain: some 1,500 characters (explorers' D-9)
        SdkClientException e = SdkClientException.create("Unable to load credentials from any of the providers in the"
                + " chain AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider(),"
                + " EnvironmentVariableCredentialsProvider(), ProfileCredentialsProvider(profileName=default),"
                + " InstanceProfileCredentialsProvider()]) : [SystemPropertyCredentialsProvider(): Unable to load"
                + " credentials from system settings. Access key must be specified either via environment variable]");
        IOException io = S3Errors.io("read", "config", "s3://bkt/r", true, e);
        assertThat(io.getMessage()).startsWith("cannot read 'config' in s3://bkt/r: no S3 credentials were found")
                .contains("AWS_ACCESS_KEY_ID").contains("AWS_PROFILE").doesNotContain("SystemPropertyCredentialsProvider");
        assertThat(io.getMessage().length()).isLessThan(300);
    }

    @Test
    void a_store_that_cannot_be_reached_says_to_check_the_endpoint() {
        SdkClientException e = SdkClientException.create("Unable to execute HTTP request: Connect to 127.0.0.1:1 failed",
                new java.net.ConnectException("Connection refused"));
        assertThat(S3Errors.io("list", "snapshots/*", "s3://bkt/r at http://127.0.0.1:1", true, e).getMessage())
                .contains("Connect to 127.0.0.1:1 failed").contains("check the endpoint's host and port");
    }
}
