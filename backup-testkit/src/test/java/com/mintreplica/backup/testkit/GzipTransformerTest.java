package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;

class GzipTransformerTest extends TransformerContract {
    @Override
    protected Transformer newTransformer() {
        return Transformers.gzip(6);
    }
}
