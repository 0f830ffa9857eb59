"""The word lists that corpus.py's receipt, invoice and web/ad templates draw from."""

# Generic words of Malaysian/Singaporean receipts and addresses (Faker has no ms_MY).
STREET = ["JALAN", "JLN", "LORONG", "TAMAN", "LOT", "NO.", "BLOK", "PERSIARAN", "KAMPUNG", "BANDAR", "PUSAT",
          "KAWASAN PERINDUSTRIAN", "LEBUH", "PLAZA", "WISMA", "MENARA", "SEKSYEN", "BATU", "SUNGAI", "BUKIT"]
PLACE = ["SELANGOR", "KUALA LUMPUR", "JOHOR BAHRU", "PETALING JAYA", "SHAH ALAM", "KLANG", "PUCHONG", "CHERAS",
         "KAJANG", "SUBANG JAYA", "AMPANG", "SERI KEMBANGAN", "PENANG", "IPOH", "MELAKA", "SEREMBAN", "RAWANG",
         "BANGSAR", "SETAPAK", "KEPONG", "SINGAPORE", "SENTUL", "BALAKONG", "SEMENYIH", "BANTING"]
FIRM = ["SDN BHD", "SDN. BHD.", "ENTERPRISE", "TRADING", "RESTAURANT", "HARDWARE", "MARKETING", "(M) SDN BHD",
        "CAFE", "BAKERY", "STATIONERY", "PHARMACY", "MINI MARKET", "BOOKSTORE", "KEDAI", "PTE LTD", "CO.", "LTD"]
RECEIPT_FIELDS = ["TOTAL", "SUBTOTAL", "SUB TOTAL", "CASH", "CHANGE", "GST", "SST", "TAX", "ROUNDING", "DISCOUNT",
                  "AMOUNT", "AMT", "QTY", "PRICE", "ITEM", "ITEM(S)", "QTY(S)", "INVOICE NO", "BILL NO", "RECEIPT NO",
                  "DATE", "TIME", "CASHIER", "TABLE", "PAX", "MEMBER", "TERMINAL", "OPERATOR", "SERVER", "ORDER",
                  "TOTAL SALES", "NET TOTAL", "GRAND TOTAL", "TOTAL INCL GST", "TOTAL (INCLUSIVE OF GST)",
                  "GST SUMMARY", "TAX INVOICE", "CREDIT CARD", "VISA", "MASTER", "DEBIT", "BALANCE", "DEPOSIT",
                  "CO-REG", "COMPANY NO", "GST ID NO", "GST REG NO", "TEL", "FAX", "DOC NO", "REF NO", "SALESPERSON"]
UNITS = ["PCS", "KG", "G", "ML", "L", "BOX", "PKT", "UNIT", "X", "NOS", "CTN", "SET"]
ZH_FIELDS = ["发票代码", "发票号码", "开票日期", "校验码", "机器编号", "购买方", "销售方", "名称", "纳税人识别号",
             "地址、电话", "开户行及账号", "金额", "税率", "税额", "价税合计", "合计", "收款人", "复核", "开票人",
             "单价", "数量", "规格型号", "单位", "备注", "订单号", "下单时间", "支付方式", "实付款", "优惠",
             "运费", "联系电话", "收货地址", "营业执照", "统一社会信用代码", "法定代表人", "注册资本", "成立日期",
             "小计", "找零", "现金", "微信支付", "支付宝", "会员卡号", "积分", "流水号", "收银员", "桌号"]
AD_WORDS = ["限时抢购", "全场包邮", "新品上市", "买一送一", "正品保证", "七天无理由退换", "领券立减", "爆款",
            "热销", "特价", "秒杀", "满减", "官方旗舰店", "品质保证", "厂家直销", "月销", "好评如潮", "立即购买",
            "加入购物车", "到手价", "券后价", "原价", "折", "现货速发", "顺丰包邮", "赠运费险", "预售", "优惠券"]
ZH_PUNCT = "，。、：；！？（）【】《》“”—…·"
SYMBOLS = ",.:;#&/-()@%*+'\"!?$"
