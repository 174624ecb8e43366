package com.mintreplica.backup.storage.gcs;

import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The client library's in-memory Storage (LocalStorageHelper from google-cloud-nio: the real client over an in-memory
 * RPC layer). That layer is documented as not thread-safe, so every call, and every call on the channels it returns,
 * is made under one lock: the kit's concurrent tests then see a store that applies requests one at a time, as a
 * server does.
 */
final class InMemoryGcs {
    private InMemoryGcs() {
    }

    static Storage newStorage() {
        Storage real = LocalStorageHelper.customOptions(false).getService();
        return serialized(Storage.class, real, new Object());
    }

    @SuppressWarnings("unchecked")
    private static <T> T serialized(Class<T> type, T target, Object lock) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result;
            synchronized (lock) {
                try {
                    result = method.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
            if (result instanceof ReadChannel r && method.getReturnType() == ReadChannel.class) {
                return serialized(ReadChannel.class, r, lock);
            }
            if (result instanceof WriteChannel w && method.getReturnType() == WriteChannel.class) {
                return serialized(WriteChannel.class, w, lock);
            }
            return result;
        };
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }
}
