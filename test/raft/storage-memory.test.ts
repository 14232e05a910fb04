// The storage compliance suite against the in-memory adapter, whose durable state lives in the object
// itself: a "restart" keeps the same instance.

import { MemoryStorage } from '../../raft/storage/memory.ts'
import { defineStorageCompliance } from './storage-compliance.ts'

defineStorageCompliance('storage: memory', async () => {
  const storage = new MemoryStorage()
  return { storage, reopen: async () => storage }
}).run()
