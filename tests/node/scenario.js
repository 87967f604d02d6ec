// The official Tencent Cloud Node.js SDK against `imagecatalog serve`.
// Usage: node scenario.js PORT SECRET_ID SECRET_KEY
// Prints one JSON object with what each step answered; tests/test_server_node.py checks it.
"use strict";
const tencentcloud = require("tencentcloud-sdk-nodejs-cvm");

const CvmClient = tencentcloud.cvm.v20170312.Client;
const [port, secretId, secretKey] = process.argv.slice(2);

function client(region, key = secretKey, id = secretId) {
  return new CvmClient({
    credential: { secretId: id, secretKey: key },
    region,
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: "http://" } },
  });
}

async function code(promise) {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return error.code || String(error.message);
  }
}

// The SDK signs the time of `new Date()` (HttpConnection.doRequestWithSign3): run
// *make* with a clock *seconds* slow, as on a client whose clock is off.
async function withClockBehind(seconds, make) {
  const RealDate = Date;
  global.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() - seconds * 1000);
      else super(...args);
    }
    static now() {
      return RealDate.now() - seconds * 1000;
    }
  };
  try {
    return await make();
  } finally {
    global.Date = RealDate;
  }
}

async function main() {
  const guangzhou = client("ap-guangzhou");
  const listing = await guangzhou.DescribeImages({ Limit: 100 });
  const ubuntu = listing.ImageSet.find((image) => image.ImageName.startsWith("Ubuntu Server 22.04"));
  const run = await guangzhou.RunInstances({
    ImageId: ubuntu.ImageId,
    Placement: { Zone: "ap-guangzhou-3" },
  });
  const created = await guangzhou.CreateImage({
    InstanceId: run.InstanceIdSet[0],
    ImageName: "node-golden",
    ImageFamily: "node-daily",
  });
  const family = await guangzhou.DescribeImageFromFamily({ ImageFamily: "node-daily" });
  const result = {
    total: listing.TotalCount,
    firstType: listing.ImageSet[0].ImageType,
    imageId: created.ImageId,
    familyImage: family.Image ? family.Image.ImageId : null,
    quota: (await guangzhou.DescribeImageQuota({})).ImageNumQuota,
    otherRegion: await code(
      client("ap-shanghai").ModifyImageAttribute({ ImageId: created.ImageId, ImageName: "x" }),
    ),
    duplicate: await code(
      guangzhou.CreateImage({ InstanceId: run.InstanceIdSet[0], ImageName: "node-golden" }),
    ),
    wrongKey: await code(client("ap-guangzhou", "not-the-key").DescribeImages({})),
    unknownId: await code(client("ap-guangzhou", "x", "AKIDnobody").DescribeImages({})),
    expired: await withClockBehind(600, () => code(guangzhou.DescribeImages({}))),
  };
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
