package com.mintreplica.backup.storage.s3;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/** Records every HTTP request the SDK sends (method, path, headers), so a test can check what went on the wire. */
final class RecordingInterceptor implements ExecutionInterceptor {
    private final List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        sent.add(context.httpRequest());
    }

    List<SdkHttpRequest> sent() {
        return List.copyOf(sent);
    }

    /** The headers of the last request with this method and path. */
    Map<String, List<String>> headersOf(String method, String path) {
        for (int i = sent.size() - 1; i >= 0; i--) {
            SdkHttpRequest r = sent.get(i);
            if (r.method().name().equals(method) && r.encodedPath().equals(path)) {
                return r.headers();
            }
        }
        throw new AssertionError("no " + method + " " + path + " among " + sent.stream().map(r -> r.method() + " " + r.encodedPath()).toList());
    }
}
