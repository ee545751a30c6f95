// Reads every Esplora route the simulator serves with mempool.space's own
// client, @mempool/mempool.js, and prints what each call returned as one
// JSON object: {"getAddress": ..., ...}, or {"error": ...} for the first
// call that failed. Arguments: base URL (http://127.0.0.1:PORT), network
// (main, testnet or regtest), an address, a confirmed txid, a mempool txid.
const mempoolJS = require('@mempool/mempool.js');

async function main() {
  const [base, network, address, confirmedTxid, mempoolTxid] =
      process.argv.slice(2);
  const url = new URL(base);
  // mempool.js knows testnet and signet by name; regtest is served under a
  // path of its own, which goes in the host name.
  const { bitcoin } = mempoolJS({
    protocol: 'http',
    hostname: url.host + (network === 'regtest' ? '/regtest' : ''),
    network: network === 'regtest' ? 'main' : network,
  });
  const out = {};
  const call = async (name, promise) => {
    try {
      out[name] = await promise;
    } catch (error) {
      throw new Error(`${name}: ${error.message}`);
    }
  };
  const { addresses, blocks, transactions, mempool, fees } = bitcoin;
  await call('getAddress', addresses.getAddress({ address }));
  await call('getAddressTxs', addresses.getAddressTxs({ address }));
  await call('getAddressTxsChain', addresses.getAddressTxsChain({ address }));
  await call('getAddressTxsMempool',
             addresses.getAddressTxsMempool({ address }));
  await call('getAddressTxsUtxo', addresses.getAddressTxsUtxo({ address }));
  await call('getBlocksTipHeight', blocks.getBlocksTipHeight());
  await call('getBlocksTipHash', blocks.getBlocksTipHash());
  const hash = out.getBlocksTipHash;
  await call('getBlock', blocks.getBlock({ hash }));
  await call('getBlockStatus', blocks.getBlockStatus({ hash }));
  await call('getBlockTxs', blocks.getBlockTxs({ hash, start_index: 0 }));
  await call('getBlockTxids', blocks.getBlockTxids({ hash }));
  await call('getBlockTxid', blocks.getBlockTxid({ hash, index: 0 }));
  await call('getBlockHeader', blocks.getBlockHeader({ hash }));
  await call('getBlockRaw', blocks.getBlockRaw({ hash }));
  await call('getBlockHeight', blocks.getBlockHeight({ height: 0 }));
  await call('getBlocks',
             blocks.getBlocks({ start_height: out.getBlocksTipHeight }));
  await call('getTx', transactions.getTx({ txid: confirmedTxid }));
  await call('getTxStatus', transactions.getTxStatus({ txid: confirmedTxid }));
  await call('getTxHex', transactions.getTxHex({ txid: confirmedTxid }));
  await call('getTxRaw', transactions.getTxRaw({ txid: confirmedTxid }));
  await call('getTxMerkleProof',
             transactions.getTxMerkleProof({ txid: confirmedTxid }));
  await call('getTxOutspend',
             transactions.getTxOutspend({ txid: confirmedTxid, vout: 0 }));
  await call('getTxOutspends',
             transactions.getTxOutspends({ txid: confirmedTxid }));
  await call('getMempoolTx', transactions.getTx({ txid: mempoolTxid }));
  await call('getMempool', mempool.getMempool());
  await call('getMempoolTxids', mempool.getMempoolTxids());
  await call('getMempoolRecent', mempool.getMempoolRecent());
  await call('getFeesRecommended', fees.getFeesRecommended());
  await call('getFeesMempoolBlocks', fees.getFeesMempoolBlocks());
  // Raw bodies are binary; their length is what can be compared.
  out.getBlockRaw = out.getBlockRaw.length;
  out.getTxRaw = out.getTxRaw.length;
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ error: error.message }));
  process.exitCode = 1;
});
