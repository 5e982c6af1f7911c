"""Scaling past one machine: shards, merged stores, replicas, server waves."""
