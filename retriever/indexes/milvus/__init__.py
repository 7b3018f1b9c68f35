"""The Milvus backend: the same passages, vectors and BM25 in a Milvus collection (a server, a cluster, or Milvus Lite
in-process), chosen by ``RETRIEVER_MILVUS_URI``."""
