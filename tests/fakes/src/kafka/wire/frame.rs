//! Kafka's framing: every request and response is a 4-byte big-endian size, then that many bytes.
use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Kafka's default `socket.request.max.bytes` (100 MiB); a bigger size means a broken client.
pub const MAX_FRAME: usize = 104_857_600;

/// The next frame's payload, or None at a clean end of stream.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Option<BytesMut>> {
    let mut size = [0u8; 4];
    match reader.read_exact(&mut size).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let size = i32::from_be_bytes(size);
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame size {size}")))?;
    let mut payload = BytesMut::zeroed(size);
    reader.read_exact(&mut payload).await?;
    Ok(Some(payload))
}

pub async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, payload: &[u8]) -> std::io::Result<()> {
    let mut out = BytesMut::with_capacity(payload.len() + 4);
    out.put_i32(payload.len() as i32);
    out.put_slice(payload);
    writer.write_all(&out).await?;
    writer.flush().await
}
