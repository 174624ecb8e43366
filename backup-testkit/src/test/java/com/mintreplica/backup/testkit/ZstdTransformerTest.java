package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;

class ZstdTransformerTest extends TransformerContract {
    @Override
    protected Transformer newTransformer() {
        return Transformers.zstd(3);
    }
}
