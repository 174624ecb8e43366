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
 *
 * <p>Its resumable uploads also differ from GCS's: the in-memory layer makes the object visible as chunks arrive,
 * where GCS shows it only once the upload is finalized by {@code close()}. Writers here keep what is written until
 * {@code close()} and send it then, which is how GCS behaves for an abandoned upload: no object.
 */
final class InMemoryGcs {
    private InMemoryGcs() {
    }

    static Storage newStorage() {
        Storage real = LocalStorageHelper.customOptions(false).getService();
        return serialized(Storage.class, real, new Object());
    }

    /** Opens a real writer; may throw what the store throws. */
    private interface Opener {
        WriteChannel open() throws Throwable;
    }

    /** A writer that opens the real upload and sends everything only at {@code close()}, as GCS finalizes uploads. */
    private static WriteChannel finalizedOnClose(Opener opener) {
        java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
        int[] chunkSize = {-1};
        boolean[] open = {true};
        InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "write" -> {
                    java.nio.ByteBuffer src = (java.nio.ByteBuffer) args[0];
                    int n = src.remaining();
                    byte[] bytes = new byte[n];
                    src.get(bytes);
                    pending.write(bytes);
                    return n;
                }
                case "setChunkSize" -> {
                    chunkSize[0] = (Integer) args[0];
                    return null;
                }
                case "isOpen" -> {
                    return open[0];
                }
                case "close" -> {
                    open[0] = false;
                    WriteChannel real = opener.open();
                    if (chunkSize[0] > 0) {
                        real.setChunkSize(chunkSize[0]);
                    }
                    java.nio.ByteBuffer all = java.nio.ByteBuffer.wrap(pending.toByteArray());
                    while (all.hasRemaining()) {
                        real.write(all);
                    }
                    real.close();
                    return null;
                }
                default -> throw new UnsupportedOperationException(method.getName() + " is not modelled by the test store");
            }
        };
        return (WriteChannel) Proxy.newProxyInstance(WriteChannel.class.getClassLoader(), new Class<?>[] {WriteChannel.class}, handler);
    }

    @SuppressWarnings("unchecked")
    private static <T> T serialized(Class<T> type, T target, Object lock) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (target instanceof Storage && method.getName().equals("writer") && method.getReturnType() == WriteChannel.class) {
                // Opened only at close(): the in-memory layer creates the object when the upload session opens.
                return serialized(WriteChannel.class, finalizedOnClose(() -> {
                    synchronized (lock) {
                        try {
                            return (WriteChannel) method.invoke(target, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                }), lock);
            }
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
